"""The gateway's own tables. Change them only through a new Alembic migration in `migrations/versions/`."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The golden record: one row per person, with each surviving value and the system it came from.
customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("forenames", String(100), nullable=False),
    Column("surname", String(100), nullable=False),
    Column("name_source", String(32)),
    Column("email", String(254), index=True, comment="normalised; the key a verified sign-in links by"),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("email_source", String(32)),
    Column("phone", String(20), comment="E.164"),
    Column("phone_source", String(32)),
    Column("date_of_birth", Date),
    Column("date_of_birth_source", String(32)),
    Column("line1", String(200)),
    Column("line2", String(200)),
    Column("town", String(100)),
    Column("postcode", String(10), index=True),
    Column("uprn", String(12)),
    Column("address_source", String(32)),
    Column("search_text", Text, nullable=False, default="", comment="upper-case name, email, postcode"),
    Column("merged_into", String(36), ForeignKey("customers.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Links from a golden record to back-office records. Rows are never deleted: an unlink sets
# `unlinked_at`, so a merge or a wrong link can be undone exactly from the history.
customer_links = Table(
    "customer_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("system", String(32), nullable=False),
    Column("record_id", String(254), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("rule", String(40), nullable=False, comment="what linked it: a deterministic rule, a model, a steward"),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("linked_by", String(100), nullable=False),
    Column("unlinked_at", DateTime(timezone=True)),
    Column("unlinked_by", String(100)),
    Index("ix_customer_links_system_record", "system", "record_id"),
)

# Append-only: there is no update or delete path for these rows anywhere in the code.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("role", String(40)),
    Column("team", String(60)),
    Column("action", String(60), nullable=False),
    Column("customer_id", String(36), index=True),
    Column("purpose", String(200)),
    Column("detail", JSON),
)

# What a resident or member of staff asked for, kept the moment they asked: the customer360
# reference they are given, whatever the back offices are doing.
intents = Table(
    "intents",
    metadata,
    Column("reference", String(20), primary_key=True),
    Column("customer_id", String(36), index=True, comment="null for an anonymous report"),
    Column("kind", String(40), nullable=False, index=True),
    Column("service_code", String(40)),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("acted_by", String(200), comment="who made it for the resident (an officer, a carer); null: themselves"),
    Column("acted_team", String(60), comment="the officer's team, or the delegate's relationship"),
    Column("channel", String(20), comment="how it came in: web, phone, face_to_face, assisted_digital"),
    # Kept by a request with an Idempotency-Key: a digest of (principal scope, key, kind). A repeat run after
    # the first request's worker died finds this intent instead of keeping a second (store/outbox.py).
    Column("idempotency_key", String(64), unique=True),
)

# Writes to back offices: each intent's deliveries, kept until acknowledged.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(20), nullable=False, index=True, comment="the customer360 reference"),
    Column("customer_id", String(36), index=True),
    Column("destination", String(32), nullable=False),
    Column("operation", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(10), nullable=False, default="PENDING"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("backoffice_reference", String(40)),
    Column("last_error", String(400)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("claimed_until", DateTime(timezone=True), comment="a deliverer holds the row until then"),
    Column("claimed_by", String(32), comment="the token of the claim that holds it: renew and mark need it"),
    UniqueConstraint("reference", "destination", "operation", name="uq_outbox_delivery"),
)

# Interaction events for analytics: coarse, never a name, an email or free text (domain/analytics.py).
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("service_code", String(40)),
    Column("outcome", String(20)),
    Column("duration_ms", Integer),
    Column("ward", String(40)),
    Column("age_band", String(10)),
    Column("vulnerable", Boolean),
    Column("assisted", Boolean),
    Column("person_key", String(64), comment="salted HMAC of the golden id: counts people, identifies nobody"),
    Column("submitted_at", DateTime(timezone=True), index=True, comment="resolutions: when the resident asked"),
    Column("expected_days", Integer, comment="resolutions: working days the service promises"),
    # When the resident asked, in London: stored so grouping by hour or week is portable SQL.
    Column("local_hour", Integer),
    Column("local_week", Date),
)

# Payments customer360 started: the idempotency key a client sent (unique per customer), what the
# request was (its fingerprint), and the provider's id and last known state.
payments = Table(
    "payments",
    metadata,
    Column("reference", String(20), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("idempotency_key", String(255), nullable=False),
    Column("request_fingerprint", String(64), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("account_reference", String(40)),
    Column("service_code", String(40)),
    Column("amount_pence", Integer, nullable=False),
    Column("provider_payment_id", String(40), unique=True),
    Column("status", String(12), nullable=False),
    Column("next_url", String(2000)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True)),
    Column("checked_at", DateTime(timezone=True), comment="when reconciliation last asked the provider"),
    Column("request_reference", String(20), index=True, comment="the request whose fee this pays, if any"),
    UniqueConstraint("customer_id", "idempotency_key", name="uq_payments_customer_key"),
    Index("ix_payments_unsettled", "status", "checked_at", "created_at"),
)

# Deliveries a back office refused for good, opened as cases for the staff team that owns the
# destination: one per (reference, destination, operation), however often the refusal is seen.
# `reason` is a short text made by customer360, never the back office's words (they may name people).
delivery_cases = Table(
    "delivery_cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(20), nullable=False, comment="the customer360 reference"),
    Column("customer_id", String(36), comment="whose it is (null for an anonymous report)"),
    Column("destination", String(32), nullable=False),
    Column("operation", String(60), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("team", String(40), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", String(200)),
    Column("resolution_note", String(500)),
    UniqueConstraint("reference", "destination", "operation", name="uq_delivery_cases_delivery"),
    Index("ix_delivery_cases_team_open", "team", "resolved_at", "opened_at"),
)

# Council services a resident can pay for online, as data (a fixed fee, or any amount in a range).
payable_services = Table(
    "payable_services",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("fixed_pence", Integer),
    Column("min_pence", Integer, nullable=False, default=1),
    Column("max_pence", Integer),
    Column("active", Boolean, nullable=False, default=True),
)

# "Report It" services defined by staff, as data. Every change is a new version; a request keeps
# the version it was made under. A retired service keeps its rows (and its requests' meaning).
service_definitions = Table(
    "service_definitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("group_name", String(60), nullable=False),
    Column("description", Text),
    Column("attributes", JSON, nullable=False),
    Column("sign_in_required", Boolean, nullable=False),
    Column("fee_pence", Integer),
    Column("route_to", String(40), nullable=False),
    Column("expected_days", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
    UniqueConstraint("code", "version", name="uq_service_definitions_code_version"),
)

# Which agencies hear about a safeguarding concern: data, so a council changes routing without a developer.
safeguarding_routes = Table(
    "safeguarding_routes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("about", String(10), nullable=False),
    Column("when_crime_suspected", Boolean, comment="null: whether or not a crime is suspected"),
    Column("agency_code", String(40), nullable=False),
    Column("agency_name", String(120), nullable=False),
)

# Each back office's identity attributes as last seen: what survivorship, incremental matching and a
# steward's review read, without asking every back office. Refreshed whenever records are linked.
person_records = Table(
    "person_records",
    metadata,
    Column("system", String(32), primary_key=True),
    Column("record_id", String(254), primary_key=True),
    Column("title", String(20)),
    Column("forenames", String(100), nullable=False),
    Column("surname", String(100), nullable=False),
    Column("date_of_birth", Date, index=True),
    Column("line1", String(200)),
    Column("line2", String(200)),
    Column("town", String(100)),
    Column("postcode", String(10), index=True),
    Column("uprn", String(12)),
    Column("email", String(254), index=True, comment="normalised"),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("phone", String(20), index=True, comment="E.164"),
    Column("updated_on", Date, comment="when the office last confirmed these details"),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

# Pairs of records the matcher was unsure about, for a data steward. A decided pair is remembered:
# a rejected pair is never proposed again, however often the matcher runs.
match_candidates = Table(
    "match_candidates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("left_system", String(32), nullable=False),
    Column("left_record_id", String(254), nullable=False),
    Column("right_system", String(32), nullable=False),
    Column("right_record_id", String(254), nullable=False),
    Column("probability", Float, nullable=False),
    Column("match_weight", Float, nullable=False),
    Column("evidence", JSON, nullable=False, comment="comparison -> [level, weight in bits]"),
    Column("state", String(10), nullable=False, index=True, comment="OPEN CONFIRMED REJECTED"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(200)),
    UniqueConstraint(
        "left_system", "left_record_id", "right_system", "right_record_id", name="uq_match_candidates_pair"
    ),
)

# Background jobs that one process of many should run at a time (matching arrivals): whoever holds
# the lease runs the job and renews it; when the holder stops, the lease lapses and another takes it.
job_leases = Table(
    "job_leases",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(120), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
)

# Each back office's service list as last read live: a report is validated against it while that
# back office is down, so a kept report is not refused because its list cannot be read right now.
# One row per back office, replaced whole, so several workers never disagree about its contents.
listed_services = Table(
    "listed_services",
    metadata,
    Column("system", String(32), primary_key=True),
    Column("services", JSON, nullable=False, comment="the service definitions, attributes included"),
    Column("seen_at", DateTime(timezone=True), nullable=False, comment="when the back office last listed them"),
)

# `Idempotency-Key` headers on mutations (IETF HTTPAPI draft): per principal scope and key, what the
# first request was (its fingerprint) and, once it finished, its answer, replayed to repeats for 24 h.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(80), primary_key=True, comment="principal kind and a hash of its subject"),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False, comment="sha256 of document, variables, operation"),
    Column("state", String(12), nullable=False, comment="IN_PROGRESS DONE"),
    Column("owner", String(40), nullable=False, comment="the request running it (a random token)"),
    Column("lease_until", DateTime(timezone=True), comment="IN_PROGRESS: its owner is presumed dead after this"),
    Column("answer", JSON, comment="DONE: the GraphQL answer, replayed"),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# The resident portal's server-side state: sessions, and the one-time tokens of its forms. Keys are
# sha256 digests of the secrets the browser holds, so a copy of this table opens no session.
portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# Each customer's views generation (cache/views.py), renewed whenever what they see changes. Redis holds
# the one answers are normally kept under; this copy lets a worker keep answers in its own memory while
# Redis is away and still forget them the moment another worker records a change.
view_generations = Table(
    "view_generations",
    metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("generation", String(16), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# The store's own identity: one row, a random id made the first time a gateway starts on it, shared by every
# worker and replica on it. Redis keys that name this store's rows carry it (store/store_identity.py), so a
# store rebuilt or replaced under the same Redis never reads what the old one kept there.
store_identity = Table(
    "store_identity",
    metadata,
    Column("only_row", Integer, primary_key=True, autoincrement=False),
    Column("store_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A resident lets someone see (VIEW) or act for them (ACT) until a date: a person, by the email they sign
# in with, or a partner agency, by its id. Revoked rows stay, so the resident's history of who could see
# them is kept; every actor token names its grant and is checked against this row on every request.
access_grants = Table(
    "access_grants",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("delegate_email", String(254), index=True, comment="normalised; null for an agency grant"),
    Column("agency_id", String(40), index=True, comment="the partner agency granted; null for a person"),
    Column("relationship", String(20), nullable=False),
    Column("scope", String(8), nullable=False, comment="VIEW ACT"),
    Column("expires_on", Date, nullable=False, comment="the last day the grant holds"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("delegate", String(260), nullable=False, comment="email:<email> or agency:<id>: one live grant each"),
    # One live grant per resident and delegate, however many requests race to make it.
    Index(
        "uq_access_grants_live",
        "customer_id",
        "delegate",
        unique=True,
        sqlite_where=text("revoked_at IS NULL"),
        postgresql_where=text("revoked_at IS NULL"),
    ),
)

# Photos and documents residents upload (domain/attachments.py). The file itself is under the data dir,
# named by the sha256 of its cleaned bytes; this row says whose it is and what uses it.
attachments = Table(
    "attachments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(80), nullable=False, index=True, comment="principal kind and a hash of its subject"),
    Column("customer_id", String(36), comment="the uploader's golden record, if a resident tied to one"),
    Column("purpose", String(16), nullable=False, comment="PHOTO EVIDENCE"),
    Column("content_type", String(64), nullable=False, comment="decided from the content, never the client"),
    Column("bytes", Integer, nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("sha256", String(64), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_by", String(20), index=True, comment="the reference of the submission that uses it"),
    Column("used_at", DateTime(timezone=True)),
    Column("moderation", String(16), nullable=False, comment="PENDING PUBLISHED HIDDEN"),
    Column("moderated_by", String(100)),
    Column("moderated_at", DateTime(timezone=True)),
    Column("moderation_reason", String(500)),
    Column("links_valid_after", DateTime(timezone=True), comment="links signed before this are refused"),
)

# How each resident wants to be told (domain/notifications.py): a failed flag is Notify's permanent
# failure for that address, cleared when the resident gives another one.
contact_preferences = Table(
    "contact_preferences",
    metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("email", Boolean, nullable=False),
    Column("sms", Boolean, nullable=False),
    Column("email_address", String(320)),
    Column("mobile", String(20)),
    Column("email_failed", Boolean, nullable=False, default=False),
    Column("mobile_failed", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every message to a resident, one row per (request, event, channel): the row is written before
# Notify is called, so a crash between the two is found again (by the request's reference at Notify)
# instead of sending twice.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(36), index=True),
    Column("reference", String(20), nullable=False, comment="the customer360 reference"),
    Column("event_key", String(48), nullable=False),
    Column("channel", String(5), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("notify_id", String(36), unique=True),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("status_at", DateTime(timezone=True)),
    UniqueConstraint("reference", "event_key", "channel", name="uq_notifications_message"),
)

# What each back office's change feed told us, appended once per change (the feed is read at least
# once; the key makes a replay a no-op): a request's history beyond what its back office shows.
request_changes = Table(
    "request_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(20), nullable=False),
    Column("change_key", String(120), nullable=False),
    Column("reference", String(40), nullable=False, index=True, comment="ours if it came through us"),
    Column("backoffice_reference", String(40), nullable=False),
    Column("status", String(20)),
    Column("description", String(500), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("system", "change_key", name="uq_request_changes_change"),
)

# Where each back office's change feed was last read up to.
change_cursors = Table(
    "change_cursors",
    metadata,
    Column("system", String(20), primary_key=True),
    Column("cursor", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Residents' ratings of finished requests: one per request (its reference), whoever records it.
service_ratings = Table(
    "service_ratings",
    metadata,
    Column("reference", String(40), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("service_code", String(40), nullable=False),
    Column("channel", String(20), nullable=False, comment="how the rating was given: web, phone ..."),
    Column("rating", Integer, nullable=False),
    Column("comment", Text),
    Column("recorded_by", String(20), nullable=False, comment="resident, or staff (from a call)"),
    Column("rated_at", DateTime(timezone=True), nullable=False, index=True),
)

# Residents' accounts as each back office last showed them live (store/accounts_seen.py): each council
# tenant's tenancies (HOUSING_MANAGEMENT) and each Council Tax payer's accounts (REVENUES). A write on the
# resident's own account while its office is down is checked against them, and kept rather than refused.
accounts_seen = Table(
    "accounts_seen",
    metadata,
    Column("system", String(32), primary_key=True, comment="the office that showed it"),
    Column("holder_id", String(254), primary_key=True, comment="that office's own person id"),
    Column("reference", String(40), primary_key=True, comment="the tenancy's or account's reference"),
    Column("ends_on", Date, comment="the tenancy's end, or the last day of the liability"),
    Column("vulnerable_household", Boolean, nullable=False, comment="a tenancy's flag (false for Council Tax)"),
    Column("seen_at", DateTime(timezone=True), nullable=False, comment="when the office last showed it"),
)
