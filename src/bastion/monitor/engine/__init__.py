"""Analytics engines behind one port: DuckDB in-process (default) and Apache Spark.

``Engine`` is the port (``profile(data, options=...) -> Profile``); ``DuckDBEngine`` the default
implementation; ``SparkEngine`` runs the same kernel on Spark's partitions (``pyspark`` is
imported only when a Spark engine starts); ``engine_from_url`` picks one from a URL
(``duckdb``, ``local[2]``, ``spark://host:7077``); ``profile_batch`` is the per-batch kernel that
every engine runs on Arrow batches.
"""

from bastion.monitor.engine._duckdb import DuckDBEngine
from bastion.monitor.engine._factory import engine_from_url
from bastion.monitor.engine._kernel import profile_batch
from bastion.monitor.engine._port import ColumnKind, Dataset, Engine
from bastion.monitor.engine._spark import SparkEngine

__all__ = [
    "ColumnKind",
    "Dataset",
    "DuckDBEngine",
    "Engine",
    "SparkEngine",
    "engine_from_url",
    "profile_batch",
]
