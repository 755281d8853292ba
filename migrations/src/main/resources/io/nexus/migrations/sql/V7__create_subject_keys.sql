-- Crypto-shredding (issue 12): one AES key per data subject. Personal fields of events are stored encrypted with
-- their subject's key, and name only the key's id; erasing the subject deletes this row, after which those fields
-- can never be decrypted again while every event stays in place. Every name is qualified with ${flyway:defaultSchema}.
CREATE TABLE ${flyway:defaultSchema}.subject_keys (
    key_id     uuid        NOT NULL,
    subject    text        NOT NULL,
    secret     bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subject_keys_pkey PRIMARY KEY (key_id),
    CONSTRAINT subject_keys_subject_key UNIQUE (subject),
    CONSTRAINT subject_keys_secret_check CHECK (octet_length(secret) = 32)
);
