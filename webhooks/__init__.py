"""Outgoing webhooks: signed (Standard Webhooks), retried, logged, delivered in order per
endpoint from an outbox written in the transaction of each change.

The layers: ``registry`` (event types and scopes, registered by the domain apps),
``services.events`` (emitting; its docstring says how a feature adds an event),
``services.delivery`` (fan-out and the delivery lanes), ``services.endpoints`` (what staff
admins do), ``transport`` (the SSRF-safe request) and ``signing``. This app imports only
Django and ``kundeservice``; ``surveys`` and ``awards`` import it.
"""
