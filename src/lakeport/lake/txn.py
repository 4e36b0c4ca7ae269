"""Delta's transaction API, in one place: write a batch's data files now, commit them later.

A batch's good rows are written as data files inside one Delta ``OptimisticTransaction`` in the
same pass that counts its records and errors; the transaction is committed only when the batch's
error threshold holds. A batch that fails commits nothing, so its dataset is unchanged and no
orphan commit is left (the written files are deleted). The commit carries Delta's idempotency
marker (a ``SetTransaction`` with ``txnAppId``/``txnVersion``), so a re-run knows whether an
earlier attempt of the batch committed, and the batch's metrics as ``userMetadata``.

These are Delta's JVM-internal classes (``DeltaLog``, ``OptimisticTransaction``,
``WriteIntoDelta``), reached through py4j; nothing else in lakeport touches them, and
:func:`check_delta` refuses a Delta jar other than the one this module was written against.

Example:
    >>> t = Txn(spark, "./lake/datasets/people")  # doctest: +SKIP
    >>> t.write(df, app=("lakeport-batch-b1", 1))  # doctest: +SKIP
    >>> t.commit({"batch": "b1"})  # doctest: +SKIP
    0
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakeport.errors import SetupError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SUPPORTED_DELTA = "4.4.0"
_checked: set[int] = set()


def check_delta(spark: SparkSession) -> None:
    """The JVM's Delta Lake is the version lakeport's commit protocol was built on.

    Raises:
        SetupError: another Delta version (or none) is on the session's classpath.
    """
    key = id(spark.sparkContext._gateway)
    if key in _checked:
        return
    try:
        found = str(_jvm(spark).io.delta.package.VERSION())
    except Exception as exc:
        raise SetupError(
            "the Spark session has no Delta Lake jars; lakeport needs Delta Lake "
            f"{SUPPORTED_DELTA} (io.delta:delta-spark_4.2_2.13:{SUPPORTED_DELTA})"
        ) from exc
    if found != SUPPORTED_DELTA:
        raise SetupError(
            f"the Spark session runs Delta Lake {found}; lakeport's batch commit uses Delta's "
            f"transaction API as of Delta Lake {SUPPORTED_DELTA}, the only supported version: "
            f"start Spark with io.delta:delta-spark_4.2_2.13:{SUPPORTED_DELTA} "
            f"(pip install delta-spark=={SUPPORTED_DELTA}; lakeport setup)"
        )
    _checked.add(key)


def _jvm(spark: SparkSession) -> Any:
    return spark._jvm


def _module(jvm: Any, name: str) -> Any:
    """A Scala companion object."""
    return getattr(getattr(jvm, name + "$"), "MODULE$")


def _defaults(companion: Any, method: str, first: int, last: int) -> list[Any]:
    """The Scala default arguments ``first``..``last`` of ``method`` of a companion object."""
    return [getattr(companion, f"{method}$default${i}")() for i in range(first, last + 1)]


def _delta_errors(action: Callable[[], Any]) -> Any:
    """Run a py4j call, raising Delta's and Spark's failures as their PySpark classes."""
    import delta.exceptions  # noqa: F401  (maps io.delta.exceptions.* to Python classes)
    from py4j.protocol import Py4JJavaError

    try:
        return action()
    except Py4JJavaError as exc:
        from pyspark.errors.exceptions import captured

        converted = captured.convert_exception(exc.java_exception)
        if type(converted) is captured.UnknownException:
            raise
        raise converted from exc


class Txn:
    """One Delta transaction on the table at ``path`` (created by the commit if it is new)."""

    def __init__(self, spark: SparkSession, path: str) -> None:
        check_delta(spark)
        self._spark = spark
        self._jvm = _jvm(spark)
        self.path = path
        self._log: Any = self._jvm.org.apache.spark.sql.delta.DeltaLog.forTable(
            spark._jsparkSession, path
        )
        self._txn = _delta_errors(self._log.startTransaction)
        self._actions = self._jvm.java.util.ArrayList()
        self._files: list[str] = []
        self._predicate: str | None = None

    @property
    def read_version(self) -> int:
        """The table version the transaction reads (-1: the table does not exist yet)."""
        return int(self._txn.readVersion())

    def txn_version(self, app_id: str) -> int:
        """The last ``txnVersion`` committed for ``app_id`` (-1: none). Reading it makes a
        concurrent commit of the same ``app_id`` a conflict for this transaction."""
        return int(self._txn.txnVersion(app_id))

    def read_everything(self) -> None:
        """Declare that the transaction read the whole table: a concurrent append then makes
        the commit fail with a conflict (the batch deduplicated against a stale table)."""
        self._txn.filterFiles()

    def write(
        self,
        df: DataFrame,
        *,
        replace_where: str | None = None,
        merge_schema: bool = False,
        app: tuple[str, int] | None = None,
        properties: dict[str, str] | None = None,
    ) -> None:
        """Write ``df`` as data files of this transaction (one Spark job; nothing is visible).

        ``replace_where`` also removes the rows matching it when the transaction commits;
        ``app`` is the (txnAppId, txnVersion) the commit records; ``properties`` are the
        table's properties if the commit creates it.
        """
        jvm = self._jvm
        utils = jvm.org.apache.spark.api.python.PythonUtils
        options: dict[str, str] = {}
        if replace_where is not None:
            options["replaceWhere"] = replace_where
            self._predicate = replace_where
        if merge_schema:
            options["mergeSchema"] = "true"
        if app is not None:
            options["txnAppId"], options["txnVersion"] = app[0], str(app[1])
        session = self._spark._jsparkSession
        delta_options = jvm.org.apache.spark.sql.delta.DeltaOptions(
            utils.toScalaMap(options), session.sessionState().conf()
        )
        save = jvm.org.apache.spark.sql.SaveMode
        writer_module = _module(jvm, "org.apache.spark.sql.delta.commands.WriteIntoDelta")
        writer = writer_module.apply(
            self._log,
            save.Overwrite if replace_where is not None else save.Append,
            delta_options,
            utils.toSeq(jvm.java.util.ArrayList()),
            utils.toScalaMap(properties or {}),
            df._jdf,
            *_defaults(writer_module, "apply", 7, 9),
        )
        active = _module(jvm, "org.apache.spark.sql.delta.OptimisticTransaction")
        active.setActive(self._txn)
        try:
            data = _delta_errors(
                lambda: writer.writeAndReturnCommitData(
                    self._txn,
                    session,
                    *_defaults(writer, "writeAndReturnCommitData", 3, 4),
                )
            )
        finally:
            active.clearActive()
        actions = data.actions()
        for i in range(actions.size()):
            action = actions.apply(i)
            self._actions.add(action)
            if action.getClass().getSimpleName() == "AddFile":
                self._files.append(str(action.path()))

    def commit(self, metadata: dict[str, Any]) -> int:
        """Commit everything written, with ``metadata`` as the commit's ``userMetadata``;
        returns the new table version.

        Raises:
            Delta's conflict exceptions (``delta.exceptions``) when another writer won.
        """
        jvm = self._jvm
        save = jvm.org.apache.spark.sql.SaveMode
        write_op = _module(jvm, "org.apache.spark.sql.delta.DeltaOperations$Write")
        defaults = _defaults(write_op, "apply", 2, 9)
        option = jvm.scala.Option
        defaults[1] = option.apply(self._predicate)  # predicate
        defaults[2] = option.apply(json.dumps(metadata, sort_keys=True))  # userMetadata
        operation = write_op.apply(save.Overwrite if self._predicate else save.Append, *defaults)
        actions = jvm.org.apache.spark.api.python.PythonUtils.toSeq(self._actions)
        version = _delta_errors(lambda: self._txn.commit(actions, operation))
        self._files = []
        return int(version)

    def discard(self) -> None:
        """Abandon the transaction: nothing is committed and its written files are deleted; a
        table it would have created is left as it was, absent."""
        jvm = self._jvm
        ops = _module(jvm, "org.apache.spark.sql.delta.util.DeltaFileOperations")
        base = str(self._log.dataPath().toString())
        conf = self._spark._jsparkSession.sessionState().newHadoopConf()
        for name in self._files:
            path = ops.absolutePath(base, name)
            path.getFileSystem(conf).delete(path, False)
        self._files = []
        self.forget_if_new()

    def forget_if_new(self) -> None:
        """Opening a table that does not exist leaves a ``_delta_log`` with empty folders in it
        (Delta 4's ``_staged_commits``): remove that, and the table's folder if it is then
        empty, so that no commit also means no table (for Spark and for delta-rs alike)."""
        if self.read_version >= 0:
            return
        conf = self._spark._jsparkSession.sessionState().newHadoopConf()
        log = self._log.logPath()
        fs = log.getFileSystem(conf)
        if not fs.exists(log) or fs.listFiles(log, True).hasNext():
            return  # no log, or a file in it (someone else's commit): not ours to remove
        fs.delete(log, True)
        data = self._log.dataPath()
        if fs.exists(data) and len(fs.listStatus(data)) == 0:
            fs.delete(data, False)


def committed_metadata(spark: SparkSession, path: str, app_id: str) -> dict[str, Any] | None:
    """The ``userMetadata`` of the commit that recorded ``app_id`` in the table at ``path``, or
    None when no commit did (the table's own idempotency marker decides, not its rows)."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    txn = Txn(spark, path)
    if txn.read_version < 0:
        txn.forget_if_new()
        return None
    if txn.txn_version(app_id) < 0:
        return None
    history = DeltaTable.forPath(spark, path).history().where(F.col("userMetadata").isNotNull())
    for row in history.select("userMetadata").collect():
        try:
            meta = json.loads(row[0])
        except (TypeError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("app") == app_id:
            return meta
    return {"app": app_id}
