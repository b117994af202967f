"""Write the synthetic example catalogue of ``nqpf match`` (示例数据，非真实统计).

    .venv/bin/python examples/match/make_example.py

writes ``catalogue.csv`` beside this script: 80 solutions from 12 made-up providers,
drawn by :func:`nqpf.matching.make_catalogue` with a fixed seed.  ``need.json`` and
``assessment.json`` beside it are written by hand.
"""

from pathlib import Path

from nqpf.io.catalogue_template import catalogue_frame
from nqpf.matching import make_catalogue

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    frame = catalogue_frame(make_catalogue(80, providers=12, seed=11))
    frame.to_csv(HERE / "catalogue.csv", index=False, encoding="utf-8-sig")
    print(HERE / "catalogue.csv")
