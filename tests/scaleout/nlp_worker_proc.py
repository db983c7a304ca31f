"""An NLP worker as its own process (the fault tests SIGKILL it mid-batch).

usage: python tests/scaleout/nlp_worker_proc.py  (settings from DULUAN_* env, e.g. DULUAN_BUS=kafka)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaleout_support import analyze

from duluan.core.logging import configure_logging
from duluan.core.settings import Settings
from streaming.factory import make_bus
from streaming.nlp_worker import NlpWorker


def main() -> int:
    settings = Settings()
    configure_logging("INFO", "console")
    bus = make_bus(settings)
    worker = NlpWorker(bus, settings, analyze=analyze)
    worker.install_signal_handlers()
    stats = worker.run(max_idle=float(sys.argv[1]) if len(sys.argv) > 1 else None)
    bus.close()
    print(f"processed={stats.processed} dead={stats.dead}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
