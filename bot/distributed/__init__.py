"""Past one process: the gateway and worker roles, with procrastinate as the job queue.

Only used by ``python main.py run --role gateway|worker``; the single process (role
``all``, the default) never imports this package, so it needs neither procrastinate nor
PostgreSQL.
"""
