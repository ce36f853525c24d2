"""The coach's view (issue 27): every device on the broker, live, on one web page.

Read-only by construction: it subscribes and never publishes, and the page only
listens; settings change only over each device's serial console.  The pieces, in the
order a message passes through them:

- ``messages``: one MQTT message in, a typed record out, or ``BadMessage`` saying
  in one line what was wrong (the schema lives in docs/team.md);
- ``team``: the pure state model, records in and a view model out (per device: the
  light, the last reps, per-athlete totals), de-duplicating on the record's id;
- ``words``: the view model's wording (verdicts, criteria, lead patterns, the light);
- ``hub``: the state model behind a lock, telling waiting page streams what changed;
- ``subscriber``: the paho-mqtt adapter (TLS, credentials, reconnecting);
- ``server``: the HTTP server: the page, its files and the Server-Sent Events stream;
- ``app``: ``kneecue coach``, which wires them.
"""
