# Project: QuantEcon.py -- https://github.com/QuantEcon/QuantEcon.py
# Licence: MIT, "Copyright © 2013-2024 Thomas J. Sargent and John Stachurski"
#   (LICENSES/quantecon.txt)
# Field: quantitative economics (optimisation, root finding, Markov chain
# discretisation, inequality measures, dynamic programming).
#
# One module per source file (two files define a namedtuple called `results`).
# Functions are copied unchanged; each module names its path and commit.
