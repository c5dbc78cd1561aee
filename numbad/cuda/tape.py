"""The tape helpers of reverse.py, as CUDA device functions over a fixed-size array.

Generated code calls them by the same names on the CPU and on the GPU.  A device
tape cannot grow (the transforms write no growing for it): a store past its end
is dropped, and the position still counts up, so the code after the forward
sweep sees that the tape was too small and how big it had to be.
"""
from numba import cuda


@cuda.jit(device=True)
def store(tape, position, value):
    if position < tape.shape[0]:
        tape[position] = value


@cuda.jit(device=True)
def load(tape, position):
    return tape[position]


@cuda.jit(device=True)
def free(tape):
    pass


@cuda.jit(device=True)
def sum_to(value, like):
    return value        # (scalars only on the device: nothing to sum)


RUNTIME = {"_store_f": store, "_store_i": store, "_load_f": load, "_load_i": load,
           "_tape_free": free,
           "_sum_to": sum_to, "cuda": cuda}
