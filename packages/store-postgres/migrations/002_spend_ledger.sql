-- The spend ledger: each audited request's settled cost, per tenant, user and key, written in the
-- same transaction as its audit record. Budgets in Redis are reconciled against it.
CREATE TABLE {{schema}}.spend_ledger (
  seq bigint PRIMARY KEY REFERENCES {{schema}}.audit_records (seq),
  request_id text NOT NULL,
  tenant_id text NOT NULL,
  user_id text,
  key_id text,
  model text,
  cost_micros bigint NOT NULL CHECK (cost_micros >= 0),
  requested_at timestamptz NOT NULL
);
CREATE INDEX spend_ledger_tenant_time ON {{schema}}.spend_ledger (tenant_id, requested_at);
