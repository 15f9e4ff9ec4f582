"""Fixtures shared by chapter 07's tests."""

import pytest
from threadpoolctl import threadpool_limits

from dlcourse import data
from dlcourse.zoo import recipes


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """The machine is shared: NumPy's matrix products on one thread are faster here."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def digits():
    """The digits' training and validation splits, flattened and standardised."""
    (X, y), (X_val, y_val), _ = recipes.digits_split()
    X, X_val = data.standardize(X.reshape(len(X), -1), X_val.reshape(len(X_val), -1))
    return (X, y), (X_val, y_val)
