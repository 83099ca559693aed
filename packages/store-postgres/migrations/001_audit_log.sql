-- The audit log: one hash chain for every writer. Each row keeps the record exactly as the file
-- sink writes a line (canonical JSON with seq, prevHash and hash), so both verify the same way.
CREATE TABLE {{schema}}.audit_chain_head (
  id smallint PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL,
  checkpoints bigint NOT NULL,
  checkpoint_seq bigint NOT NULL
);
INSERT INTO {{schema}}.audit_chain_head (id, seq, hash, checkpoints, checkpoint_seq)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, 0);

CREATE TABLE {{schema}}.audit_records (
  seq bigint PRIMARY KEY,
  request_id text NOT NULL,
  tenant_id text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  line text NOT NULL
);
CREATE INDEX audit_records_request_id ON {{schema}}.audit_records (request_id);
CREATE INDEX audit_records_tenant_time ON {{schema}}.audit_records (tenant_id, recorded_at);

-- Signed statements "the log held seq records ending in hash", numbered without gaps.
CREATE TABLE {{schema}}.audit_checkpoints (
  n bigint PRIMARY KEY,
  seq bigint NOT NULL,
  line text NOT NULL
);
