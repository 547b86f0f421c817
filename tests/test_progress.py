"""Progress: silent by default, rich's display on a terminal, one message a step through a callable."""

import io

from packetlens.progress import Messages, RichProgress, Silent, as_progress


def test_as_progress_wraps_what_it_is_given():
    assert isinstance(as_progress(None), Silent)
    said = []
    p = as_progress(said.append)
    assert isinstance(p, Messages)
    with p.step("embedding 3 rows", total=3) as advance:
        advance(3)
    assert said == ["embedding 3 rows"]
    rp = RichProgress(None)
    assert as_progress(rp) is rp


def test_rich_progress_draws_a_bar_and_says_when_a_step_is_done():
    from rich.console import Console

    out = io.StringIO()
    p = RichProgress(Console(file=out, force_terminal=True, width=80))
    with p.step("embedding 10 rows", total=10) as advance:
        for _ in range(10):
            advance(1)
    with p.step("cross-validating"):
        pass
    text = out.getvalue()
    assert "✓" in text and "embedding 10 rows" in text and "cross-validating" in text


def test_the_cli_shows_no_progress_when_stderr_is_not_a_terminal(monkeypatch):
    import packetlens.cli as cli

    assert isinstance(cli._steps(False), Silent)  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert isinstance(cli._steps(True), Silent)  # --quiet
