"""ONNX models (onnxruntime): one input per feature, probabilities out; explained by exact Shapley values.

The graph must take one input per service feature, named after it, shaped ``[N, 1]``: a float or integer
tensor for a numeric feature, a string tensor for a categorical one (what skl2onnx makes of a pipeline
fitted on a DataFrame). Its probability output is the first ``[N, 2]`` float tensor (convert
scikit-learn models with ``options={"zipmap": False}``).

An ONNX graph has no structure the service can read for exact attributions, so explanations are exact
interventional Shapley values (:mod:`.shapley`) against the background rows stored in the metadata: a
documented, model-agnostic method whose values add up exactly to the log-odds minus the background's
mean log-odds. Without a background the model still loads but cannot explain, so every decision it makes
is referred to a person (the service's fail-safe for a failed explanation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..tracing import tracer
from .artifact import Attribution, Loaded, ModelLoadError, Vector
from .features import FEATURES, NUMERIC, to_matrix
from .inputs import Kind, check_inputs, logit
from .shapley import shapley_values

_NUMBER_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64}
_STRING = "tensor(string)"


def load_onnx(payload: bytes, loaded: Loaded) -> OnnxModel:
    """An onnxruntime session on the CPU from the model's bytes."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one request, one core: the service runs requests in parallel
    session = ort.InferenceSession(payload, sess_options=options, providers=["CPUExecutionProvider"])
    kinds: dict[str, Kind | None] = {}
    for item in session.get_inputs():
        kinds[item.name] = "category" if item.type == _STRING else "number" if item.type in _NUMBER_TYPES else None
    check_inputs(kinds, f"the ONNX model {loaded.name}")
    dtypes = {item.name: _NUMBER_TYPES.get(item.type, np.str_) for item in session.get_inputs()}
    output = next(
        (o.name for o in session.get_outputs() if o.type == "tensor(float)" and len(o.shape) == 2),  # noqa: PLR2004
        None,
    )
    if output is None:
        hint = "convert it with skl2onnx options zipmap=False"
        msg = f"the ONNX model {loaded.name} has no [N, 2] float tensor of probabilities; {hint}"
        raise ModelLoadError(msg)
    return OnnxModel(loaded.identity, loaded.background, session, output, dtypes)


@dataclass(frozen=True)
class OnnxModel(Loaded):
    """A verified ONNX graph in an onnxruntime session."""

    session: Any
    output: str
    dtypes: dict[str, Any]

    def _run(self, matrix: npt.NDArray[np.object_]) -> Vector:
        feeds = {
            name: matrix[:, column].astype(self.dtypes[name] if name in NUMERIC else np.str_).reshape(-1, 1)
            for column, name in enumerate(FEATURES)
        }
        (probabilities,) = self.session.run([self.output], feeds)
        return np.asarray(probabilities, dtype=np.float64)[:, 1]

    def predict(self, record: Mapping[str, Any]) -> float:
        """The probability of default of one application."""
        with tracer.start_as_current_span("model.predict"):
            return float(self._run(to_matrix([record]))[0])

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> Vector:
        """The probability of default of many applications."""
        return self._run(to_matrix(records))

    def explain(self, record: Mapping[str, Any]) -> Attribution:
        """Exact interventional Shapley values on the log-odds against the stored background."""
        with tracer.start_as_current_span("model.predict", attributes={"explained": True}):
            if not self.background.rows:
                raise ModelLoadError(f"{self.name} has no explainer background: its decisions go to a person")
            row = to_matrix([record])
            background = np.array(self.background.rows, dtype=object)
            base, value, contributions = shapley_values(row[0], background, lambda m: logit(self._run(m)))
            return Attribution(float(1 / (1 + np.exp(-value))), value, base, contributions, "interventional_shapley")
