# Project: Numba's own examples (two repositories of the Numba project)
#   https://github.com/numba/numba  (the examples/ folder of older releases)
#   https://github.com/numba/numba-examples
# Licence: BSD 2-Clause.
#   numba/numba: "Copyright (c) 2012, Anaconda, Inc." (LICENSES/numba.txt); the files
#   marked below also carry "Copyright (c) 2017 Intel Corporation /
#   SPDX-License-Identifier: BSD-2-Clause".
#   numba/numba-examples: "Copyright (c) 2017, Numba" (LICENSES/numba-examples.txt).
# Fields: finance (Black-Scholes), statistics (kernel density estimation), PDE
# relaxation (Jacobi/Laplace), machine learning (logistic/linear regression,
# k-means), molecular physics (Lennard-Jones), image processing (stencil),
# signal processing (zero suppression).
#
# Every function below is copied unchanged from the file and commit named above
# it; only the imports its file had are repeated at the top.

import math

import numba
import numpy as np
from numba import jit, njit, prange, stencil

# ---------------------------------------------------------------------------
# numba/numba examples/blackscholes/blackscholes_pa.py @ 066865dd3b9e7408936b17d7b38e1c1c45e53e90

run_parallel = numba.config.NUMBA_NUM_THREADS > 1

@numba.vectorize(nopython=True)
def cndf2(inp):
    out = 0.5 + 0.5 * math.erf(0.707106781 * inp)
    return out

@numba.njit(parallel=run_parallel)
def blackscholes(sptprice, strike, rate, volatility, timev):
    logterm = np.log10(sptprice / strike)
    powterm = 0.5 * volatility * volatility
    den = volatility * np.sqrt(timev)
    d1 = (((rate + powterm) * timev) + logterm) / den
    d2 = d1 - den
    NofXd1 = cndf2(d1)
    NofXd2 = cndf2(d2)
    futureValue = strike * np.exp(- rate * timev)
    c1 = futureValue * NofXd2
    call = sptprice * NofXd1 - c1
    put  = call - futureValue + sptprice
    return put


# ---------------------------------------------------------------------------
# numba/numba-examples examples/finance/blackscholes/blackscholes_numba.py
# @ 21be694a2b60a3c7dc003d80c25bd1a2e6931383

@jit
def cnd_numba(d):
    A1 = 0.31938153
    A2 = -0.356563782
    A3 = 1.781477937
    A4 = -1.821255978
    A5 = 1.330274429
    RSQRT2PI = 0.39894228040143267793994605993438
    K = 1.0 / (1.0 + 0.2316419 * math.fabs(d))
    ret_val = (RSQRT2PI * math.exp(-0.5 * d * d) *
               (K * (A1 + K * (A2 + K * (A3 + K * (A4 + K * A5))))))
    if d > 0:
        ret_val = 1.0 - ret_val
    return ret_val


@jit
def black_scholes_numba(stockPrice, optionStrike,
                        optionYears, Riskfree, Volatility):
    callResult = np.empty_like(stockPrice)
    putResult = np.empty_like(stockPrice)

    S = stockPrice
    X = optionStrike
    T = optionYears
    R = Riskfree
    V = Volatility
    for i in range(len(S)):
        sqrtT = math.sqrt(T[i])
        d1 = (math.log(S[i] / X[i]) + (R + 0.5 * V * V) * T[i]) / (V * sqrtT)
        d2 = d1 - V * sqrtT
        cndd1 = cnd_numba(d1)
        cndd2 = cnd_numba(d2)

        expRT = math.exp((-1. * R) * T[i])
        callResult[i] = (S[i] * cndd1 - X[i] * expRT * cndd2)
        putResult[i] = (X[i] * expRT * (1.0 - cndd2) - S[i] * (1.0 - cndd1))

    return callResult, putResult


# ---------------------------------------------------------------------------
# numba/numba examples/kernel-density-estimation/kernel_density_estimation_numba.py
# @ 4a91b32770bee8964733b79d97736b4fb6dfd057
# (Copyright (c) 2017 Intel Corporation, SPDX-License-Identifier: BSD-2-Clause)

@njit()
def kde(X):
    b = 0.5
    points = np.array([-1.0, 2.0, 5.0])
    N = points.shape[0]
    n = X.shape[0]
    exps = 0
    for i in prange(n):
        p = X[i]
        d = (-(p-points)**2)/(2*b**2)
        m = np.min(d)
        exps += m-np.log(b*N)+np.log(np.sum(np.exp(d-m)))
    return exps


# ---------------------------------------------------------------------------
# numba/numba-examples examples/density_estimation/kernel/impl.py
# @ c90a013a3deb23651978aded5a8d32d5da17d249

@numba.jit(nopython=True)
def gaussian(x):
    return np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)

@numba.jit(nopython=True)
def numba_kde(eval_points, samples, bandwidths):
    result = np.zeros_like(eval_points)

    for i, eval_x in enumerate(eval_points):
        for sample, bandwidth in zip(samples, bandwidths):
            result[i] += gaussian((eval_x - sample) / bandwidth) / bandwidth
        result[i] /= len(samples)

    return result


# ---------------------------------------------------------------------------
# numba/numba examples/laplace2d/laplace2d-numba.py @ 1cbe87a96bd2f3941f602c3ec79bf03fd29ac18b

@jit
def jacobi_relax_core(A, Anew):
    error = 0.0
    n = A.shape[0]
    m = A.shape[1]
    for j in range(1, n - 1):
        for i in range(1, m - 1):
            Anew[j, i] = 0.25 * ( A[j, i + 1] + A[j, i - 1] \
                                + A[j - 1, i] + A[j + 1, i])
            error = max(error, abs(Anew[j, i] - A[j, i]))
    return error


# ---------------------------------------------------------------------------
# numba/numba examples/logistic-regression/logistic_regression.py
# @ 066865dd3b9e7408936b17d7b38e1c1c45e53e90

run_parallel = numba.config.NUMBA_NUM_THREADS > 1

@numba.njit(parallel=run_parallel)
def logistic_regression(Y,X,w,iterations):
    for i in range(iterations):
        w -= np.dot(((1.0 / (1.0 + np.exp(-Y * np.dot(X,w))) - 1.0) * Y),X)
    return w


# ---------------------------------------------------------------------------
# numba/numba examples/linear_regression/linear_regression_numba.py
# @ fe2276b7fc0d8019901c7a9ff829a10ef3e0f1df
# (Copyright (c) 2017 Intel Corporation, SPDX-License-Identifier: BSD-2-Clause)

@numba.njit()
def linear_regression(Y, X, w, iterations, alphaN):
    for i in range(iterations):
        w -= alphaN * np.dot(X.T, np.dot(X,w)-Y)
    return w


# ---------------------------------------------------------------------------
# numba/numba examples/k-means/k-means_numba.py @ eff72342abe9199f6a807be1f0760400de484e08
# (Copyright (c) 2017 Intel Corporation, SPDX-License-Identifier: BSD-2-Clause)
from math import sqrt

@njit
def kmeans(A, numCenter, numIter, N, D, init_centroids):
    centroids = init_centroids

    for l in range(numIter):
        dist = np.array([[sqrt(np.sum((A[i,:]-centroids[j,:])**2))
                                for j in range(numCenter)] for i in range(N)])
        labels = np.array([dist[i,:].argmin() for i in range(N)])

        centroids = np.array([[np.sum(A[labels==i, j])/np.sum(labels==i)
                                 for j in range(D)] for i in range(numCenter)])

    return centroids


# ---------------------------------------------------------------------------
# numba/numba-examples examples/lennard_jones/numba_scalar_impl.py
# @ 71479d349413bbc2c1585155fe3691ceb69c84e5

@numba.njit
def lj_numba_scalar(r):
    sr6 = (1./r)**6
    pot = 4.*(sr6*sr6 - sr6)
    return pot


@numba.njit
def distance_numba_scalar(atom1, atom2):
    dx = atom2[0] - atom1[0]
    dy = atom2[1] - atom1[1]
    dz = atom2[2] - atom1[2]

    r = (dx * dx + dy * dy + dz * dz) ** 0.5

    return r


@numba.njit
def potential_numba_scalar(cluster):
    energy = 0.0
    for i in range(len(cluster)-1):
        for j in range(i + 1, len(cluster)):
            r = distance_numba_scalar(cluster[i], cluster[j])
            e = lj_numba_scalar(r)
            energy += e

    return energy


# ---------------------------------------------------------------------------
# numba/numba-examples examples/lennard_jones/numba_array_impl.py
# @ 71479d349413bbc2c1585155fe3691ceb69c84e5

@numba.njit
def lj_numba_array(r):
    sr6 = (1./r)**6
    pot = 4.*(sr6*sr6 - sr6)
    return pot


@numba.njit
def distances_numba_array(cluster):
    # Original: diff = cluster[:, np.newaxis, :] - cluster[np.newaxis, :, :]
    # Since np.newaxis is not supported, we use reshape to do this
    diff = (cluster.reshape(cluster.shape[0], 1, cluster.shape[1]) -
            cluster.reshape(1, cluster.shape[0], cluster.shape[1]))
    mat = (diff * diff)
    # Original: mat = mat.sum(-1)
    # Since axis argument is not supported, we write the loop out
    out = np.empty(mat.shape[:2], dtype=mat.dtype)
    for i in np.ndindex(out.shape):
        out[i] = mat[i].sum()

    return np.sqrt(out)


@numba.njit
def potential_numba_array(cluster):
    d = distances_numba_array(cluster)
    # Original: dtri = np.triu(d)
    # np.triu is not supported; so write my own loop to clear the
    # lower triangle
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            if i > j:
                d[i, j] = 0
    # Original: lj_numba_array(d[d > 1e-6]).sum()
    # d[d > 1e-6] is not supported due to the indexing with boolean
    # array.  Replace with custom loop.
    energy = 0.0
    for v in d.flat:
        if v > 1e-6:
            energy += lj_numba_array(v)
    return energy


# ---------------------------------------------------------------------------
# numba/numba examples/gaussian-blur/gaussian-blur.py @ 2b477e60993b7f0faf13437fa3c46e24291333d6

@stencil()
def gaussian_blur(a):
    return (a[-2,-2] * 0.003  + a[-1,-2] * 0.0133 + a[0,-2] * 0.0219 + a[1,-2] * 0.0133 + a[2,-2] * 0.0030 +
            a[-2,-1] * 0.0133 + a[-1,-1] * 0.0596 + a[0,-1] * 0.0983 + a[1,-1] * 0.0596 + a[2,-1] * 0.0133 +
            a[-2, 0] * 0.0219 + a[-1, 0] * 0.0983 + a[0, 0] * 0.1621 + a[1, 0] * 0.0983 + a[2, 0] * 0.0219 +
            a[-2, 1] * 0.0133 + a[-1, 1] * 0.0596 + a[0, 1] * 0.0983 + a[1, 1] * 0.0596 + a[2, 1] * 0.0133 +
            a[-2, 2] * 0.003  + a[-1, 2] * 0.0133 + a[0, 2] * 0.0219 + a[1, 2] * 0.0133 + a[2, 2] * 0.0030)


# ---------------------------------------------------------------------------
# numba/numba-examples examples/waveforms/zero_suppression/impl.py
# @ 0320a3a760fcea8b754ad12aa32c8b2f317a66ae

@numba.vectorize(nopython=True)
def numba_zero_suppression(values, threshold):
    if np.abs(values) >= threshold:
        return values
    else:
        return 0.0
