#!/bin/bash
# The CUDA checks for a session lent a GPU machine (device tool), as one command:
#   run(command="bash benchmarks/gpu_check.sh", timeout_s=540)
# That machine's image has numba, numba-cuda, JAX (CUDA), pytest and hypothesis; numbad
# itself is pure Python and runs from the tree. Logs and benchmarks/results/cuda.json
# come back under $OUT.
set -o pipefail
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 NUMBA_ENABLE_CUDASIM=0
OUT=${OUT:-/tmp/numbad-gpu-check}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/device.txt"
python3 -c "import numba, numba.cuda, numpy; print('numba', numba.__version__, 'numpy', \
numpy.__version__); print(numba.cuda.get_current_device().name)" | tee -a "$OUT/device.txt"
timeout 300 python3 -m pytest -q -p no:cacheprovider tests/test_cuda_kernels.py \
    tests/test_cuda_device_functions.py tests/test_cuda_random_programs.py \
    tests/test_examples.py -k "cuda and not compile_for_a_gpu" 2>&1 | tee "$OUT/tests.log"
timeout 200 python3 -m benchmarks.cuda 2>&1 | tee "$OUT/benchmark.log"
cp benchmarks/results/cuda.json "$OUT/" 2>/dev/null
timeout 60 python3 examples/cuda_kernel_grad.py 2>&1 | tee "$OUT/example.log"
