"""PySpark's worker daemon, with the profiling kernel imported once before it forks workers.

Spark starts it as ``python -m bastion.monitor.engine._spark_daemon`` (``spark.python.daemon.
module``, set by ``SparkEngine``): every Python worker forked from it finds ``bastion`` already
imported instead of importing it again for its first task.
"""

from pyspark import daemon

import bastion.monitor.engine._spark  # noqa: F401  (imported here, shared by forked workers)

if __name__ == "__main__":
    daemon.manager()
