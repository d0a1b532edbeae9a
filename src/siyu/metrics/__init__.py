"""Private-domain metrics (DOMAIN.md's table), the funnel decomposition and the health score.

Entry points: `build_base` (the mx_* tables every metric reads), `compute` (metrics by period and slice),
`collect` (everything the report shows), `run_metrics` (the pipeline step).
"""

from siyu.metrics.base import Base, build_base
from siyu.metrics.compute import compute
from siyu.metrics.periods import Window
from siyu.metrics.settings import MetricsSettings, metrics_config
from siyu.metrics.step import run_metrics
from siyu.metrics.summary import collect

__all__ = ["Base", "MetricsSettings", "Window", "build_base", "collect", "compute", "metrics_config", "run_metrics"]
