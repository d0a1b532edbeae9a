"""The private-domain HTML report: one self-contained file (inline SVG drawn here, no script, no CDN), zh or en."""

from siyu.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
