"""Outgoing e-mail through an outbox: written with the change it announces, delivered afterwards."""
