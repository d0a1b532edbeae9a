"""The operational store's tables (SQLAlchemy Core). Alembic's migrations create them; this is what code reads."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("staff_id", sa.String(120)),  # a guide's own staff id: whose customers they own
    sa.Column("store_id", sa.String(120)),  # a guide's store
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

tokens = sa.Table(
    "tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex; the token itself is never kept
    sa.Column("label", sa.String(120), nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

login_failures = sa.Table(
    "login_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(120), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("user_name", sa.String(120), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("target", sa.String(255), nullable=False, default=""),
    sa.Column("reason", sa.Text, nullable=False, default=""),
)

identity_decisions = sa.Table(
    "identity_decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(10), nullable=False),  # merge | split
    sa.Column("a", sa.String(255), nullable=False),  # channel:channel_uid
    sa.Column("b", sa.String(255)),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("user_name", sa.String(120), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("applied_run", sa.String(64)),  # the run that copied it into the warehouse's identity_override
)

saved_segments = sa.Table(
    "saved_segments", metadata,
    sa.Column("name", sa.String(120), primary_key=True),
    sa.Column("expression", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("user_name", sa.String(120), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

export_jobs = sa.Table(
    "export_jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_name", sa.String(120), nullable=False),
    sa.Column("segment", sa.String(120), nullable=False),
    sa.Column("unmask", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # queued | running | done | failed
    sa.Column("rows", sa.Integer),
    sa.Column("path", sa.Text),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("pid", sa.Integer),  # the worker running it: its death fails the export (jobs.settle_export)
)

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # run | import
    sa.Column("user_name", sa.String(120), nullable=False),
    # set while queued or running, NULL once finished: unique, so one warehouse writer at a time across workers
    sa.Column("slot", sa.String(40), unique=True),
    sa.Column("key", sa.String(255), index=True),  # what a retry is recognised by (import: the upload's name)
    sa.Column("args", sa.Text, nullable=False, default="{}"),  # JSON
    sa.Column("status", sa.String(20), nullable=False),  # queued | running | done | failed
    sa.Column("pid", sa.Integer),  # the job's own process, on this host
    sa.Column("log", sa.Text),
    sa.Column("exit_code", sa.Integer),
    sa.Column("result", sa.Text),  # JSON
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
)
