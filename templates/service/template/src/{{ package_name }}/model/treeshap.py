"""Exact path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, Algorithm 2) for scikit-learn's boosted trees.

For each tree the value of a coalition ``S`` of features is the tree's expected output given the features
in ``S``, the others integrated out with the training cover of each branch ("path-dependent"); the
Shapley values of that game are computed exactly in O(leaves x depth^2) per tree, and add up, with the
expected value of the tree, to its output. Summed over the trees of a gradient-boosted ensemble and its
constant start (the prior log-odds), they add up to the model's margin: the log-odds of default.

This is the algorithm the ``shap`` package implements in C++; it is written here because ``shap`` needs
numba and llvmlite. ``tests/test_treeshap.py`` checks it against brute-force Shapley values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Tree:
    """One binary tree: ``x[feature] <= threshold`` goes left; a leaf has ``left == -1``."""

    left: Ints
    right: Ints
    feature: Ints
    threshold: Vector
    value: Vector
    cover: Vector

    def predict(self, x: Vector) -> float:
        """The tree's output for one row."""
        node = 0
        while self.left[node] >= 0:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
        return float(self.value[node])

    def expected(self) -> float:
        """The cover-weighted mean of the leaves: the tree's output when no feature is known."""
        leaves = self.left < 0
        return float(np.sum(self.value[leaves] * self.cover[leaves]) / self.cover[0])


def shap_values(tree: Tree, x: Vector, n_features: int) -> Vector:
    """Exact path-dependent Shapley values of ``tree`` at ``x`` (they add up to output - expected)."""
    phi = np.zeros(n_features)
    _recurse(_Walk(tree, x, phi), 0, [], (1.0, 1.0, -1))
    return phi


@dataclass(frozen=True)
class _Walk:
    tree: Tree
    x: Vector
    phi: Vector


# A path element: [feature, zero fraction, one fraction, weight], as in the paper.
Path = list[list[float]]


def _extend(path: Path, zero: float, one: float, feature: int) -> Path:
    path = [element.copy() for element in path]
    depth = len(path)
    path.append([feature, zero, one, 1.0 if depth == 0 else 0.0])
    for i in range(depth - 1, -1, -1):
        path[i + 1][3] += one * path[i][3] * (i + 1) / (depth + 1)
        path[i][3] = zero * path[i][3] * (depth - i) / (depth + 1)
    return path


def _unwind(path: Path, index: int) -> Path:
    depth = len(path) - 1
    one, zero = path[index][2], path[index][1]
    n = path[depth][3]
    result = [element.copy() for element in path[:depth]]
    for j in range(depth - 1, -1, -1):
        if one != 0:
            t = result[j][3]
            result[j][3] = n * (depth + 1) / ((j + 1) * one)
            n = t - result[j][3] * zero * (depth - j) / (depth + 1)
        else:
            result[j][3] = result[j][3] * (depth + 1) / (zero * (depth - j))
    for j in range(index, depth):
        result[j][:3] = path[j + 1][:3]
    return result


def _unwound_sum(path: Path, index: int) -> float:
    return sum(element[3] for element in _unwind(path, index))


def _recurse(walk: _Walk, node: int, path: Path, incoming: tuple[float, float, int]) -> None:
    """Algorithm 2's RECURSE; ``incoming`` is the (zero fraction, one fraction, feature) of the edge taken."""
    tree, x, phi = walk.tree, walk.x, walk.phi
    path = _extend(path, *incoming)
    if tree.left[node] < 0:
        for i in range(1, len(path)):
            phi[int(path[i][0])] += _unwound_sum(path, i) * (path[i][2] - path[i][1]) * tree.value[node]
        return
    split = int(tree.feature[node])
    left, right = int(tree.left[node]), int(tree.right[node])
    hot, cold = (left, right) if x[split] <= tree.threshold[node] else (right, left)
    incoming_zero, incoming_one = 1.0, 1.0
    seen = next((k for k in range(1, len(path)) if int(path[k][0]) == split), None)
    if seen is not None:
        incoming_zero, incoming_one = path[seen][1], path[seen][2]
        path = _unwind(path, seen)
    cover = tree.cover[node]
    _recurse(walk, hot, path, (incoming_zero * tree.cover[hot] / cover, incoming_one, split))
    _recurse(walk, cold, path, (incoming_zero * tree.cover[cold] / cover, 0.0, split))


@dataclass(frozen=True)
class Ensemble:
    """Additive trees on top of a constant: ``margin(x) = start + sum(tree(x))``."""

    start: float
    trees: tuple[Tree, ...]

    def margin(self, x: Vector) -> float:
        """The ensemble's raw output (log-odds) at ``x``."""
        return self.start + sum(tree.predict(x) for tree in self.trees)

    def expected(self) -> float:
        """The margin when no feature is known (the base of the explanation)."""
        return self.start + sum(tree.expected() for tree in self.trees)

    def shap_values(self, x: Vector) -> Vector:
        """Exact path-dependent Shapley values of the margin at ``x``."""
        phi = np.zeros(len(x))
        for tree in self.trees:
            phi += shap_values(tree, x, len(x))
        return phi


def ensemble_of(estimator: Any) -> Ensemble | None:
    """The additive trees of a fitted binary HistGradientBoosting or GradientBoosting classifier, else None."""
    kind = type(estimator).__name__
    if kind == "HistGradientBoostingClassifier" and len(getattr(estimator, "classes_", ())) == 2:  # noqa: PLR2004
        return _hist_gradient_boosting(estimator)
    if kind == "GradientBoostingClassifier" and len(getattr(estimator, "classes_", ())) == 2:  # noqa: PLR2004
        return _gradient_boosting(estimator)
    return None


def _hist_gradient_boosting(estimator: Any) -> Ensemble | None:
    trees = []
    for (predictor,) in estimator._predictors:  # the fitted trees have no public accessor
        nodes = predictor.nodes
        if np.any(nodes["is_categorical"]):
            return None  # native categorical splits test a bitset, not a threshold
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(
            Tree(
                left=np.where(leaf, -1, nodes["left"].astype(np.intp)),
                right=np.where(leaf, -1, nodes["right"].astype(np.intp)),
                feature=nodes["feature_idx"].astype(np.intp),
                threshold=nodes["num_threshold"].astype(np.float64),
                value=nodes["value"].astype(np.float64),
                cover=nodes["count"].astype(np.float64),
            )
        )
    start = float(np.ravel(estimator._baseline_prediction)[0])
    return Ensemble(start, tuple(trees))


def _gradient_boosting(estimator: Any) -> Ensemble:
    rate = float(estimator.learning_rate)
    trees = []
    for (regressor,) in estimator.estimators_:
        tree = regressor.tree_
        trees.append(
            Tree(
                left=tree.children_left.astype(np.intp),
                right=tree.children_right.astype(np.intp),
                feature=tree.feature.astype(np.intp),
                threshold=tree.threshold.astype(np.float64),
                value=rate * tree.value[:, 0, 0].astype(np.float64),
                cover=tree.weighted_n_node_samples.astype(np.float64),
            )
        )
    zero = np.zeros((1, estimator.n_features_in_))
    start = float(estimator.decision_function(zero)[0]) - sum(t.predict(zero[0]) for t in trees)
    return Ensemble(start, tuple(trees))
