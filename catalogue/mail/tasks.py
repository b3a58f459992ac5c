"""The outbox's periodic jobs: delivering what is due every few seconds, deleting expired .eml
files hourly (see lib/jobs.py for how they run).

However many processes deliver, each message is sent once: it is claimed in the database first
(mail/delivery.py), and a claim left by a process that died mid-send is taken again after its
time-out, never earlier (only a process killed between the mail server's acceptance and the
row's update would repeat that one message then).
"""

from catalogue.lib.jobs import PeriodicJob
from catalogue.mail.delivery import deliver_pending, prune_outbox

POLL_SECONDS = 2
PRUNE_SECONDS = 3600


PERIODIC = [
    PeriodicJob("mail-delivery", POLL_SECONDS, deliver_pending, switch="MAIL_DELIVERY_THREAD"),
    PeriodicJob("mail-prune", PRUNE_SECONDS, prune_outbox, switch="MAIL_DELIVERY_THREAD"),
]
