"""gunicorn settings for Lumen's web process (``gunicorn ris.wsgi -c deploy/gunicorn.conf.py``).

Workers and bind address come from the environment so the same file serves the embedded run and production.
"""

import multiprocessing
import os

bind = os.environ.get("LUMEN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LUMEN_WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("LUMEN_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 120  # large DICOMweb transfers stream; this bounds a stuck worker, not a slow client
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# No query strings in the access log: they can carry patient names (searches).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("LUMEN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn's control socket (for gunicornc) lives where LUMEN_GUNICORN_CONTROL_SOCKET says; without it, none is
# opened, so an embedded run writes nothing into the user's home directory.
control_socket = os.environ.get("LUMEN_GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("LUMEN_GUNICORN_CONTROL_SOCKET")
