"""The shipped model's behaviour with the real MiniLM: verdicts, exemplars, hints, threads, HTML."""

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT


def test_weak_and_strong_bullets(default_scorer):
    weak, strong = default_scorer.score([
        "Tuned the reranker weights and improved relevance.",
        "Replaced BM25-only retrieval with a hybrid retriever; recall@50 on 12k golden queries rose from 71% to "
        "84%, and a two-week 50/50 test on 3.1M searches lifted add-to-cart 1.9% (95% CI 1.1-2.7%).",
    ])
    assert weak.strength.label == "weak" and strong.strength.label == "strong"
    assert strong.moves["quantified_counterfactual"] > 0.5 > weak.moves["quantified_counterfactual"]
    assert any("baseline" in h or "vague verb" in h for h in weak.hints)


def test_vanity_numbers_stay_weak(default_scorer):
    (b,) = default_scorer.score(["Merged 212 pull requests and closed 400 tickets last half."])
    assert b.strength.label == "weak"


def test_exemplar_is_topical_and_strong(default_scorer):
    (b,) = default_scorer.score(["Tweaked the reranker."])
    assert b.exemplar is not None and b.exemplar.text != b.text
    assert b.exemplar.similarity > 0.3
    assert any(w in b.exemplar.text.lower() for w in ("rank", "rerank", "search", "retriev", "relevance", "ndcg", "query"))


def test_score_rejects_a_bare_string(default_scorer):
    with pytest.raises(TypeError):
        default_scorer.score("Tuned the reranker.")


def test_example_packet_report(default_scorer):
    report = default_scorer.score_file(ROOT / "examples" / "packet.md")
    assert 30 <= report.n_bullets <= 40
    assert 0 < report.n_weak < report.n_bullets
    assert report.weakest[0].strength.p <= report.weakest[-1].strength.p
    assert {b.section for b in report.bullets} >= {"Ranking and retrieval", "Evaluation harness"}


def test_thread_safe(default_scorer):
    texts = [f"Built the eval gate used by {i} teams; review time fell from 10 days to 40 minutes." for i in range(8)]
    expected = [b.to_dict() for b in default_scorer.score(texts)]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: [b.to_dict() for b in default_scorer.score(texts)], range(8)))
    assert all(o == expected for o in outs)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (.ci/run installs it)")
def test_html_report_renders_in_headless_chromium(default_scorer, tmp_path):
    from packetlens.render import to_html

    page = tmp_path / "report.html"
    page.write_text(to_html(default_scorer.score_file(ROOT / "examples" / "packet.md")), encoding="utf-8")
    out = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    dom = out.stdout
    assert "How a committee will read" in dom and "packet score" in dom
    assert "Weak bullets" in dom and "Strong bullets" in dom and "A strong bullet on nearby work" in dom
    assert dom.count('class="bullet ') == default_scorer.score_file(ROOT / "examples" / "packet.md").n_bullets
    assert "<script" not in dom and "http://" not in dom.split("<body")[0]


def test_score_file_and_score_text_agree(default_scorer):
    path = ROOT / "examples" / "packet.md"
    by_file = default_scorer.score_file(path)
    by_text = default_scorer.score_text(path.read_text(encoding="utf-8"), fmt="markdown", name=str(path))
    assert by_file.to_dict() == by_text.to_dict() and by_file.n_bullets > 3
    assert default_scorer.score_file(str(path)).to_dict() == by_file.to_dict()  # a str path is a path here


def test_score_text_refuses_what_is_not_text(default_scorer):
    with pytest.raises(TypeError, match="score_text\\(\\) takes the packet text as str"):
        default_scorer.score_text(ROOT / "examples" / "packet.md")
    with pytest.raises(TypeError, match="score_file\\(\\) takes a path"):
        default_scorer.score_file(["- a bullet"])


def test_score_packet_warns_when_a_string_looks_like_a_path(default_scorer):
    """It used to score the string "examples/packet.md" as a one-bullet packet, silently."""
    with pytest.warns(UserWarning, match="use score_file\\(\\) for a file"):
        report = default_scorer.score_packet("examples/packet.md")
    assert report.n_bullets == 1  # still the old meaning: the string is the text
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert default_scorer.score_packet("- Tuned the reranker.\n- Merged 140 PRs.\n").n_bullets == 2
        assert default_scorer.score_packet(ROOT / "examples" / "packet.md").n_bullets > 3


def test_the_cli_and_the_library_parse_a_file_the_same_way(default_scorer, tmp_path):
    from packetlens.scorer import packet_format

    assert [packet_format(n) for n in ("a.md", "a.MARKDOWN", "a.txt", "-", "<stdin>", "a.rst")] == \
        ["markdown", "markdown", "text", "auto", "auto", "auto"]
    p = tmp_path / "p.txt"
    p.write_text("Quarterly notes\n- Tuned the reranker.\n- Merged 140 PRs.\n")
    assert default_scorer.score_file(p).n_bullets == 2
