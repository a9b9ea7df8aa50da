import io
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from core.bundle import load_model
from core.cli import main

DATA = Path(__file__).parents[1] / "data"
ROOT = Path(__file__).parents[2]


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    status = main(argv, out=out)
    return status, out.getvalue()


@pytest.fixture
def model_file(tmp_path) -> Path:
    path = tmp_path / "model.pt"
    status, text = run(
        [
            "train",
            str(DATA / "09_unseen_train.csv"),
            "--target",
            "converted",
            "--encode",
            "tier=ordinal:low,mid,high",
            "--epochs",
            "30",
            "--validation-share",
            "0.3",
            "--out",
            str(path),
        ]
    )
    assert status == 0, text
    return path


def test_train_prints_epochs_and_saves(model_file):
    payload = torch.load(model_file, weights_only=True)
    assert payload["target"]["classes"] == ["no", "yes"]
    tier = next(c for c in payload["encoder"]["columns"] if c["name"] == "tier")
    assert tier["categories"] == ["low", "mid", "high"]


def test_train_output_lists_each_epoch(tmp_path):
    status, text = run(
        [
            "train",
            str(DATA / "22_rerun_state.csv"),
            "--target",
            "rain",
            "--epochs",
            "3",
            "--batch-size",
            "1",
            "--optimizer",
            "sgd",
            "--out",
            str(tmp_path / "m.pt"),
        ]
    )
    assert status == 0
    assert "epoch    3/3" in text
    assert "label 'yes' when p >= threshold" in text
    assert "saved model to" in text


def test_predict_writes_csv_and_flags_unseen(model_file, tmp_path):
    out_path = tmp_path / "predictions.csv"
    status, text = run(
        [
            "predict",
            str(model_file),
            str(DATA / "09_unseen_predict.csv"),
            "--out",
            str(out_path),
        ]
    )
    assert status == 0
    predictions = pd.read_csv(out_path)
    assert "device='tablet'" in text
    assert predictions["prediction"].notna().tolist() == [True, False, False]
    expected = load_model(model_file).predict(
        pd.read_csv(DATA / "09_unseen_predict.csv")
    )
    assert predictions.loc[0, "prediction"] == expected.frame.loc[0, "prediction"]


def test_evaluate_reports_metrics_at_threshold(model_file):
    status, text = run(
        [
            "evaluate",
            str(model_file),
            str(DATA / "09_unseen_train.csv"),
            "--threshold",
            "0.0",
        ]
    )
    assert status == 0
    assert "threshold 0.00" in text
    assert "recall 1.000" in text
    assert "scored 10 of 10 rows" in text


def test_bad_csv_exits_2_with_message(tmp_path, capsys):
    status, _ = run(
        [
            "train",
            str(DATA / "05_empty.csv"),
            "--target",
            "x",
            "--out",
            str(tmp_path / "m.pt"),
        ]
    )
    assert status == 2
    assert "file is empty (0 bytes)" in capsys.readouterr().err


def test_unknown_target_exits_2(tmp_path, capsys):
    status, _ = run(
        [
            "train",
            str(DATA / "12_yes_no_target.csv"),
            "--target",
            "bought",
            "--out",
            str(tmp_path / "m.pt"),
        ]
    )
    assert status == 2
    assert "target column 'bought' is not in the data" in capsys.readouterr().err


def test_bad_model_file_exits_2(tmp_path, capsys):
    fake = tmp_path / "fake.pt"
    fake.write_bytes(b"not a model")
    status, _ = run(
        ["predict", str(fake), str(DATA / "08_onehot_predict.csv"), "--out", "x.csv"]
    )
    assert status == 2
    assert "not a PyTorch model file" in capsys.readouterr().err


def test_help_documents_units():
    result = subprocess.run(
        [sys.executable, "-m", "core", "train", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    text = " ".join(result.stdout.split())
    assert "1 is plain stochastic gradient descent" in text
    assert "fraction of rows held out" in text
    assert "activation after each hidden layer" in text


@pytest.mark.skipif(shutil.which("head") is None, reason="needs the head command")
def test_closed_pipe_is_not_a_traceback(tmp_path):
    command = (
        f"{sys.executable} -m core train {DATA / '22_rerun_state.csv'} --target rain "
        f"--epochs 200 --out {tmp_path / 'm.pt'} | head -n 1"
    )
    result = subprocess.run(
        command, shell=True, capture_output=True, text=True, cwd=ROOT
    )
    assert "Traceback" not in result.stderr


def test_evaluate_matches_labels_ignoring_case(model_file, tmp_path):
    frame = pd.read_csv(DATA / "09_unseen_train.csv")
    frame["converted"] = frame["converted"].str.upper()
    upper = tmp_path / "upper.csv"
    frame.to_csv(upper, index=False)
    status, text = run(["evaluate", str(model_file), str(upper)])
    assert status == 0, text
    assert "scored 10 of 10 rows" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out", "/nonexistent-folder/m.pt"], "does not exist"),
        (["--threshold", "1.5"], "invalid --threshold 1.5"),
        (["--patience", "-5"], "invalid --patience -5"),
        (["--seed", "-1"], "invalid --seed -1"),
        (["--encode", "rain=onehot"], "names the target 'rain'"),
    ],
)
def test_train_options_checked_before_training(tmp_path, capsys, extra, message):
    argv = ["train", str(DATA / "22_rerun_state.csv"), "--target", "rain"]
    if "--out" not in extra:
        argv += ["--out", str(tmp_path / "m.pt")]
    status, text = run(argv + extra)
    assert status == 2
    assert message in capsys.readouterr().err
    assert "epoch" not in text


def test_predict_scores_a_single_row(model_file, tmp_path):
    one_row = tmp_path / "one.csv"
    one_row.write_text("device,tier,visits\ndesktop,mid,6\n")
    out_path = tmp_path / "p.csv"
    status, text = run(
        ["predict", str(model_file), str(one_row), "--out", str(out_path)]
    )
    assert status == 0, text
    assert len(pd.read_csv(out_path)) == 1


def test_ctrl_c_keeps_the_model(tmp_path):
    out_path = tmp_path / "m.pt"
    command = [
        sys.executable,
        "-m",
        "core",
        "train",
        str(DATA / "22_rerun_state.csv"),
        "--target",
        "rain",
        "--epochs",
        "10000",
        "--batch-size",
        "1",
        "--out",
        str(out_path),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("epoch"):
            break
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "stopped by request" in rest
    assert load_model(out_path).status == "stopped"


def test_predict_escapes_formula_cells(model_file, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text(
        'device,tier,visits,comment\ndesktop,mid,6,"=HYPERLINK(""x"")"\n'
        "mobile,low,-2,-3\n"
    )
    out_path = tmp_path / "p.csv"
    status, text = run(["predict", str(model_file), str(rows), "--out", str(out_path)])
    assert status == 0, text
    assert "1 text cell in 'comment'" in text
    predictions = pd.read_csv(out_path)
    assert predictions["comment"].tolist() == ['\'=HYPERLINK("x")', "-3"]
    assert predictions["visits"].tolist() == [6, -2]


def test_evaluate_scores_file_of_one_class(model_file, tmp_path):
    frame = pd.read_csv(DATA / "09_unseen_train.csv")
    only_yes = tmp_path / "yes.csv"
    frame[frame["converted"] == "yes"].to_csv(only_yes, index=False)
    status, text = run(["evaluate", str(model_file), str(only_yes)])
    assert status == 0, text
    assert "absent from this file" in text
    assert "validation split" not in text


def test_evaluate_names_unknown_labels(model_file, tmp_path, capsys):
    frame = pd.read_csv(DATA / "09_unseen_train.csv")
    frame["converted"] = frame["converted"].map({"yes": "si", "no": "no"})
    renamed = tmp_path / "renamed.csv"
    frame.to_csv(renamed, index=False)
    status, _ = run(["evaluate", str(model_file), str(renamed)])
    assert status == 2
    error = capsys.readouterr().err
    assert "labels the model was not trained on: 'si'" in error
    assert "The model knows 'no', 'yes'" in error


def test_evaluate_notes_rows_without_label(model_file, tmp_path):
    frame = pd.read_csv(DATA / "09_unseen_train.csv")
    frame.loc[0, "converted"] = None
    gaps = tmp_path / "gaps.csv"
    frame.to_csv(gaps, index=False)
    status, text = run(["evaluate", str(model_file), str(gaps)])
    assert status == 0, text
    assert "note: 1 row has no target value (data row 1)" in text
    assert "scored 9 of 10 rows" in text


def predict_rows(model_file, tmp_path, data: bytes) -> tuple[str, Path]:
    rows = tmp_path / "rows.csv"
    rows.write_bytes(data)
    out_path = tmp_path / "p.csv"
    status, text = run(["predict", str(model_file), str(rows), "--out", str(out_path)])
    assert status == 0, text
    return text, out_path


def read_fields(path: Path, **options) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, **options)


def test_predict_keeps_fields_as_written(model_file, tmp_path):
    data = (
        b"id,zip,x,color,n,flag,big,e,device,tier,visits\n"
        b"007,02134,0.5,red,3,TRUE,12345678901234567890,1e3,desktop,mid,06\n"
        b"0100,00501,-2,blue,-3,false,98765432109876543210,+2,mobile,low,-1\n"
    )
    _, out_path = predict_rows(model_file, tmp_path, data)
    with open(out_path, "rb") as handle:
        first = handle.read().splitlines()[1]
    assert first.startswith(
        b"007,02134,0.5,red,3,TRUE,12345678901234567890,1e3,desktop,mid,06,"
    )
    written = pd.read_csv(out_path, dtype=str)
    expected = pd.read_csv(io.BytesIO(data), dtype=str)
    pd.testing.assert_frame_equal(written[expected.columns], expected)


def test_predict_keeps_signed_numbers(model_file, tmp_path):
    data = b"device,tier,visits,delta\ndesktop,mid,-3,+1.5\nmobile,low,+2,-0,5\n"
    data = data.replace(b"-0,5", b'"-0,5"')
    text, out_path = predict_rows(model_file, tmp_path, data)
    written = read_fields(out_path)
    assert written["visits"].tolist() == ["-3", "+2"]
    assert written["delta"].tolist() == ["+1.5", "-0,5"]
    assert "formula" not in text


def test_predict_keeps_missing_markers(model_file, tmp_path):
    data = b"device,tier,visits,note\ndesktop,mid,6,NA\nmobile,low,2,\n"
    text, out_path = predict_rows(model_file, tmp_path, data)
    assert "'NA'" in text
    written = read_fields(out_path, na_values=[""])
    assert written.loc[0, "note"] == "NA"
    assert pd.isna(written.loc[1, "note"])


def test_predict_keeps_decimal_commas(model_file, tmp_path):
    data = (
        b"device;tier;visits;x;amount\n"
        b"desktop;mid;6;0,5;1.234,56\n"
        b"mobile;low;2;-1,25;12.345,00\n"
    )
    _, out_path = predict_rows(model_file, tmp_path, data)
    written = read_fields(out_path)
    assert written["x"].tolist() == ["0,5", "-1,25"]
    assert written["amount"].tolist() == ["1.234,56", "12.345,00"]


def test_predict_keeps_quoted_thousands(model_file, tmp_path):
    data = b'device,tier,visits,amount\ndesktop,mid,6,"1,234.5"\nmobile,low,2,99\n'
    _, out_path = predict_rows(model_file, tmp_path, data)
    assert read_fields(out_path)["amount"].tolist() == ["1,234.5", "99"]


def test_predict_cp1252_file(model_file, tmp_path):
    data = "device,tier,visits,city\ndesktop,mid,6,Köln\nmobile,low,2,Zürich\n"
    _, out_path = predict_rows(model_file, tmp_path, data.encode("cp1252"))
    assert read_fields(out_path)["city"].tolist() == ["Köln", "Zürich"]


def test_predict_drops_empty_rows(model_file, tmp_path):
    data = b"id,device,tier,visits\n007,desktop,mid,6\n,,,\n008,mobile,low,2\n"
    text, out_path = predict_rows(model_file, tmp_path, data)
    assert "Skipped 1 row" in text
    written = read_fields(out_path)
    assert written["id"].tolist() == ["007", "008"]
    assert written["prediction"].ne("").all()


def test_predict_renamed_empty_header(model_file, tmp_path):
    data = b"id,,device,tier,visits\n007,x,desktop,mid,6\n008,y,mobile,low,2\n"
    _, out_path = predict_rows(model_file, tmp_path, data)
    written = read_fields(out_path)
    assert list(written.columns[:5]) == ["id", "column_2", "device", "tier", "visits"]
    assert written["column_2"].tolist() == ["x", "y"]
    assert written["id"].tolist() == ["007", "008"]


def test_evaluate_names_file_rows(model_file, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "device,tier,visits,converted\n"
        "desktop,mid,6,\n"
        "mobile,low,2,\n"
        "watch,mid,6,yes\n"
        "desktop,high,12,yes\n"
        "mobile,low,1,no\n"
    )
    status, text = run(["evaluate", str(model_file), str(rows)])
    assert status == 0, text
    assert "they are left out of scoring" in text
    assert "skipped: row 3:" in text
    assert "scored 2 of 5 rows" in text


def test_evaluate_without_scorable_rows(model_file, tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text("device,tier,visits,converted\nwatch,mid,6,yes\nwatch,low,1,no\n")
    status, _ = run(["evaluate", str(model_file), str(rows)])
    assert status == 2
    error = capsys.readouterr().err
    assert "no row could be scored" in error
    assert "y_true" not in error


def test_evaluate_scores_a_single_row(model_file, tmp_path):
    one_row = tmp_path / "one.csv"
    one_row.write_text("device,tier,visits,converted\ndesktop,mid,6,yes\n")
    status, text = run(["evaluate", str(model_file), str(one_row)])
    assert status == 0, text
    assert "scored 1 of 1 rows" in text
