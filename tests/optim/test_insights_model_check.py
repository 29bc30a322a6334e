"""Model check: leave-one-out predictions, Q², typical error and verdicts (issue 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nextbatch.cli import main
from nextbatch.core import Study
from nextbatch.io.study_file import save_study
from nextbatch.optim import suggest
from nextbatch.optim.insights import fit_models, model_check
from nextbatch.optim.model_check import error_text


def box_study(xs: np.ndarray, ys: dict[str, np.ndarray], goal: str = "maximize",
              extra: list[dict[str, Any]] | None = None) -> Study:
    """A study of continuous variables x0.. on [0, 1] with one measured run per row of xs."""
    d = xs.shape[1]
    runs = [{"id": f"B01-{i + 1:02d}", "batch": 1, "status": "done",
             "settings": {f"x{j}": float(xs[i, j]) for j in range(d)},
             "results": {name: float(y[i]) for name, y in ys.items()}}
            for i in range(len(xs))]
    responses = [{"name": name, "unit": "mm", "goal": goal} for name in ys]
    return Study.from_dict({
        "name": "box",
        "variables": [{"name": f"x{j}", "kind": "continuous", "low": 0, "high": 1}
                      for j in range(d)],
        "responses": responses + (extra or []),
        "runs": runs,
    })


def smooth(x: np.ndarray) -> np.ndarray:
    return 40.0 + 10.0 * np.sin(3.0 * x[:, 0]) + 8.0 * (x[:, 1] - 0.4) ** 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smooth_noiseless_function_is_predicted_well(seed: int) -> None:
    xs = np.random.default_rng(seed).random((20, 2))
    study = box_study(xs, {"foam": smooth(xs)})
    check = model_check(study)["foam"]
    assert check.q2 is not None and check.q2 > 0.9
    assert check.verdict == "good"
    assert check.typical_error < 0.1 * np.ptp(smooth(xs))
    assert [p.run_id for p in check.loo] == [r.id for r in study.runs]
    assert "foam" in check.advice and "mm" in check.advice


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pure_noise_is_not_predicted(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    xs = rng.random((20, 2))
    study = box_study(xs, {"foam": 40.0 + 5.0 * rng.standard_normal(20)})
    check = model_check(study)["foam"]
    assert check.q2 is not None and check.q2 <= 0.3
    assert check.verdict == "not yet"
    assert "cannot predict foam" in check.advice


def test_leave_one_out_equals_conditioning_on_the_other_runs() -> None:
    xs = np.random.default_rng(5).random((9, 2))
    study = box_study(xs, {"foam": smooth(xs)})
    fitted = fit_models(study)
    gp = fitted.models["foam"].gp
    check = model_check(study, fitted)["foam"]
    for i, point in enumerate(check.loo):
        keep = np.arange(len(xs)) != i
        X, z = gp.X_train_[keep], gp.z_train_[keep]
        K = gp._kernel(X, X) + (gp.noise_variance_ + gp.jitter_) * np.eye(len(X))
        k = gp._kernel(gp.X_train_[i:i + 1], X)[0]
        mean = float(gp.from_latent(k @ np.linalg.solve(K, z)))
        assert point.predicted == pytest.approx(mean, rel=1e-6, abs=1e-6)
        assert point.measured == pytest.approx(smooth(xs)[i])
        assert point.sd > 0


def test_the_models_are_those_suggest_predicts_with() -> None:
    xs = np.random.default_rng(6).random((8, 2))
    study = box_study(xs, {"foam": smooth(xs)})
    study.runs[0].status, study.runs[0].results = "failed", {}
    fitted = fit_models(study)
    for s in suggest(study, batch_size=2):
        mean, sd = fitted.models["foam"].gp.predict(fitted.encoding.encode(s.settings)[None, :])
        assert s.predicted["foam"] == pytest.approx((mean[0], sd[0]), rel=1e-9)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_fewer_than_three_runs_say_not_yet(n: int) -> None:
    xs = np.random.default_rng(0).random((n, 2))
    study = box_study(xs, {"foam": smooth(xs)})
    check = model_check(study)["foam"]
    assert check.n_runs == n
    assert check.q2 is None
    assert check.verdict == "not yet"
    assert "at least 3" in check.advice
    assert len(check.loo) == (n if n >= 2 else 0)


def test_observe_only_and_constant_responses_are_checked_too() -> None:
    xs = np.random.default_rng(3).random((8, 2))
    study = box_study(xs, {"foam": smooth(xs)},
                      extra=[{"name": "colour", "goal": "observe"}])
    for i, run in enumerate(study.runs):
        run.results["colour"] = float(xs[i, 0] * 3)
    study.runs[0].results.pop("foam")
    checks = model_check(study)
    assert checks["colour"].n_runs == 8 and checks["colour"].q2 is not None
    assert checks["foam"].n_runs == 7
    for run in study.runs:
        run.results["colour"] = 2.0
    assert model_check(study)["colour"].verdict == "not yet"
    assert "same" in model_check(study)["colour"].advice


def test_failed_runs_do_not_count_as_measured() -> None:
    xs = np.random.default_rng(4).random((6, 2))
    study = box_study(xs, {"foam": smooth(xs)})
    study.runs[0].status = "failed"
    study.runs[0].results = {}
    check = model_check(study)["foam"]
    assert check.n_runs == 5
    assert study.runs[0].id not in [p.run_id for p in check.loo]


def test_typical_error_is_written_to_two_digits() -> None:
    assert error_text(4.41, "mm") == "4.4 mm"
    assert error_text(779.0, "cP") == "780 cP"
    assert error_text(0.136) == "0.14"
    assert error_text(0.1, "mm") == "0.1 mm"


def test_cli_check_model_prints_each_response(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    xs = np.random.default_rng(0).random((12, 2))
    study = box_study(xs, {"foam": smooth(xs)})
    path = tmp_path / "box.nbx"
    save_study(study, path)
    assert main(["check", str(path), "--model"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("box.nbx: 2 variables")
    line = next(line for line in out if line.strip().startswith("foam [mm]"))
    q2 = model_check(study)["foam"].q2
    assert f"R² (Q²) {q2:.2f}" in line and "typical error" in line and "mm" in line
    assert "— good." in line


def test_cli_check_model_waits_for_errors_to_be_fixed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = box_study(np.zeros((0, 2)), {"foam": np.zeros(0)})
    study.variables[0].low = 2.0  # above its high: an error
    path = tmp_path / "bad.nbx"
    save_study(study, path, force=True)
    assert main(["check", str(path), "--model"]) == 1
    assert "model check: not possible" in capsys.readouterr().out
