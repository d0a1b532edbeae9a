"""Import speed: a Tmall-format order export (CSV and Parquet) into a fresh DuckDB warehouse.

Prints rows/s per format, the import's CPU seconds and the load average (on a shared box wall time depends
on what else runs; CPU seconds per million rows do not), and the peak RSS. Writing the files is not timed.
Runs at 10M rows take several GB: wrap them in `flock /tmp/siyu-big.lock` on a shared machine.

    python bench/bench_import.py              # 10M rows (targets: CSV ≥ 100k rows/s, Parquet ≥ 500k rows/s)
    python bench/bench_import.py --rows 1000000 --keep /tmp/bench
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.ingest.importer import import_file
from siyu.schema import migrate

CHUNK = 1_000_000
STATUSES = np.array(
    ["交易成功", "交易成功", "交易成功", "交易关闭", "退款成功", "卖家已发货，等待买家确认", "等待买家付款"]
)
PLACES = np.array(
    ["浙江省 杭州市 西湖区", "上海市 上海市 浦东新区", "广东省深圳市南山区", "北京市 北京市 朝阳区",
     "四川省 成都市 武侯区"]
)
TITLES = np.array(["冰丝无痕内裤 3条装", "纯棉背心", "莫代尔睡衣套装", "基础款T恤", "主题款文胸"])


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(str), pa.string())


def _chunk(start: int, n: int, rng: np.random.Generator, typed: bool) -> pa.Table:
    ids = np.arange(start, start + n) + 3_000_000_000_000
    buyers = rng.integers(0, max(n // 3, 1) + start // 3, n)
    created = np.datetime64("2023-01-01T00:00:00") + rng.integers(0, 2 * 365 * 86400, n).astype("timedelta64[s]")
    paid = created + rng.integers(10, 3600, n).astype("timedelta64[s]")
    amount = np.round(rng.gamma(2.0, 60.0, n), 2)
    qty = rng.integers(1, 4, n)
    status = STATUSES[rng.integers(0, len(STATUSES), n)]
    refund = np.where(status == "退款成功", amount, 0.0)
    place = PLACES[rng.integers(0, len(PLACES), n)]
    street = pc.binary_join_element_wise(_text(place), pa.array([f"文三路{i % 999}号" for i in range(n)]), " ")
    cols: dict[str, pa.Array] = {
        "订单编号": _text(ids),
        "买家会员名": pc.binary_join_element_wise("tb_", _text(buyers), ""),
        "买家实际支付金额": pa.array(amount) if typed else _text(np.char.mod("%.2f", amount)),
        "订单状态": _text(status),
        "收货人姓名": _text(np.array(["张**", "李*", "王**"])[rng.integers(0, 3, n)]),
        "收货地址": street,
        "联系手机": pc.binary_join_element_wise("138****", _text(rng.integers(1000, 9999, n)), ""),
        "订单创建时间": pa.array(created) if typed else _text(np.datetime_as_string(created).astype("U19")),
        "订单付款时间": pa.array(paid) if typed else _text(np.datetime_as_string(paid).astype("U19")),
        "宝贝标题": _text(TITLES[rng.integers(0, len(TITLES), n)]),
        "宝贝总数量": pa.array(qty) if typed else _text(qty),
        "退款金额": pa.array(refund) if typed else _text(np.char.mod("%.2f", refund)),
        "店铺名称": pa.array(["siyu旗舰店"] * n),
    }
    if not typed:  # datetime_as_string writes an ISO "T"; exports write a space
        for name in ("订单创建时间", "订单付款时间"):
            cols[name] = pc.replace_substring(cols[name], "T", " ")
    return pa.table(cols)


def write_files(folder: Path, rows: int, seed: int = 7) -> tuple[Path, Path]:
    """A Tmall order report as CSV (text) and Parquet (typed columns), written chunk by chunk."""
    rng = np.random.default_rng(seed)
    csv_path, pq_path = folder / "tmall_orders.csv", folder / "tmall_orders.parquet"
    csv_writer = pq_writer = None
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        text = _chunk(start, n, rng, typed=False)
        typed = _chunk(start, n, np.random.default_rng(seed + start), typed=True)
        if csv_writer is None:
            csv_writer = pacsv.CSVWriter(str(csv_path), text.schema)
            pq_writer = pq.ParquetWriter(str(pq_path), typed.schema)
        csv_writer.write_table(text)
        assert pq_writer is not None
        pq_writer.write_table(typed, row_group_size=256_000)
    assert csv_writer is not None and pq_writer is not None
    csv_writer.close()
    pq_writer.close()
    return csv_path, pq_path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(path: Path, folder: Path, batch_rows: int, memory_limit: str) -> None:
    warehouse = folder / f"bench_{path.suffix.lstrip('.')}.duckdb"
    warehouse.unlink(missing_ok=True)
    engine = DuckDBEngine(warehouse, memory_limit=memory_limit)
    migrate(engine)
    started, cpu = time.perf_counter(), time.process_time()
    report = import_file(engine, "tmall", path, batch_rows=batch_rows)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.close()
    size = path.stat().st_size / 1e6
    print(
        f"{path.suffix[1:]:8s} {report.rows_read:>11,} rows  {size:8.0f} MB  {seconds:7.1f} s  "
        f"{report.rows_read / seconds:>10,.0f} rows/s  cpu {cpu:6.1f} s  load {os.getloadavg()[0]:.1f}  "
        f"loaded {report.rows_loaded:,}  "
        f"quarantined {report.rows_quarantined:,}  batches {report.batches}  peak RSS so far {peak_rss_mb():,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch-rows", type=int, default=500_000)
    parser.add_argument("--keep", type=Path, help="folder to write the files to and keep them (default: a temp dir)")
    parser.add_argument("--only", choices=["csv", "parquet"])
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit (siyu.toml engine.memory_limit)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="siyu-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}")
    csv_path, pq_path = folder / "tmall_orders.csv", folder / "tmall_orders.parquet"
    if not (csv_path.exists() and pq_path.exists() and args.keep):
        t = time.perf_counter()
        write_files(folder, args.rows)
        print(f"wrote {args.rows:,} rows as CSV and Parquet in {time.perf_counter() - t:.1f} s (not timed below)")
    try:
        for path in (pq_path, csv_path):
            if args.only and path.suffix[1:] != args.only:
                continue
            bench(path, folder, args.batch_rows, args.memory_limit)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
