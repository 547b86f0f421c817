import json
from pathlib import Path

import pytest

from packetlens.language import looks_english

ROOT = Path(__file__).resolve().parents[1]


def test_no_english_bullet_of_the_dataset_is_flagged():
    rows = [json.loads(x) for x in (ROOT / "data" / "bullets.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(rows) > 3000
    assert [r["text"] for r in rows if not looks_english(r["text"])] == []


@pytest.mark.parametrize("text", [
    "Reduje la latencia del servicio de búsqueda de 480 a 210 ms en 2M solicitudes al día.",
    "Réduit la latence du service de recherche de 480 à 210 ms sur 2M requêtes par jour.",
    "Die Latenz des Suchdienstes von 480 auf 210 ms gesenkt, bei 2 Mio. Anfragen pro Tag.",
    "Reduzi a latência do serviço de busca de 480 para 210 ms em 2M requisições por dia.",
    "De latentie van de zoekdienst verlaagd van 480 naar 210 ms bij 2M verzoeken per dag.",
    "検索の遅延を480msから210msに短縮した。",
    "Сократил задержку поиска с 480 до 210 мс на 2 млн запросов в день.",
])
def test_other_languages_are_flagged(text):
    assert not looks_english(text)


@pytest.mark.parametrize("text", ["Merged 140 PRs.", "Built spelling-correction service, query rewriter, autocomplete.",
                                  "Cut p95 480->210 ms, 2M req/day, Q3.", "Shipped the Los Angeles store locator."])
def test_terse_english_is_not_flagged(text):
    assert looks_english(text)


def test_docstring_examples_run():
    import doctest

    import packetlens.language

    failed, attempted = doctest.testmod(packetlens.language)
    assert attempted >= 2 and failed == 0
