# Project: numba-stats -- https://github.com/HDembinski/numba-stats
# Licence: MIT, "Copyright (c) 2021 Hans Dembinski" (LICENSES/numba-stats.txt)
# Field: statistics (probability distributions for high-energy-physics fits).
#
# The modules of this package are whole files of numba-stats' src/numba_stats/,
# copied unchanged (each names its path and commit). This __init__ is ours.
