"""PgQueuer's side of the queue benchmark: install, enqueue, or drain with a no-op entrypoint.

    python pgqueuer_worker.py DSN install
    python pgqueuer_worker.py DSN enqueue N
    python pgqueuer_worker.py DSN drain BATCH_SIZE     # work until the queue is empty
    python pgqueuer_worker.py DSN work BATCH_SIZE      # work until killed
"""
import asyncio
import sys

import asyncpg
from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager
from pgqueuer.domain.types import QueueExecutionMode


async def main(dsn: str, command: str, argument: int) -> None:
    connection = await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(connection))
    if command == "install":
        await connection.execute("DROP SCHEMA IF EXISTS pgq_bench CASCADE")
        await queries.install()
    elif command == "enqueue":
        chunk = 10_000
        for start in range(0, argument, chunk):
            n = min(chunk, argument - start)
            await queries.enqueue(["noop"] * n, [None] * n, [0] * n)
    elif command in ("drain", "work"):
        manager = QueueManager(queries)

        @manager.entrypoint("noop")
        async def noop(job: Job) -> None:
            return None

        mode = QueueExecutionMode.drain if command == "drain" else QueueExecutionMode.continuous
        await manager.run(batch_size=argument, mode=mode)
    await connection.close()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0))
