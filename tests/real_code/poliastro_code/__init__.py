# Project: poliastro -- https://github.com/poliastro/poliastro
# Licence: MIT, "Copyright (c) 2012-2019 Juan Luis Cano Rodríguez" (LICENSES/poliastro.txt)
# Field: astrodynamics (Kepler's equation, orbital elements, Kepler propagation,
# Lambert's problem).
#
# The package mirrors poliastro's src/poliastro/ layout; each module is a whole
# file copied unchanged except that imports of the form `from poliastro.X import`
# are written as relative imports (`from ..X import`) so that the copy imports
# itself, not an installed poliastro. Each module names its path and commit.
