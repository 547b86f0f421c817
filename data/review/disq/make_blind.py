"""Write the blind second pass's input for one writer's slice: id + text only, shuffled.

    python3 data/review/disq/make_blind.py v15    # -> data/review/disq/blind_input_v15.jsonl
"""
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
voice = sys.argv[1]
rows = [json.loads(x) for x in (ROOT / "data/raw/disq" / f"voice_{voice}.jsonl").read_text().splitlines() if x.strip()]
random.Random(voice).shuffle(rows)
out = ROOT / "data/review/disq" / f"blind_input_{voice}.jsonl"
out.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n" for r in rows))
print(f"{out}: {len(rows)} rows")
