-- The person each e-mail is for, so that an administrator's read of the
-- outbox is recorded for them. Mail already queued is matched by address;
-- what matches no account stays '' and the outbox does not show it.
ALTER TABLE mail_outbox ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
UPDATE mail_outbox SET user_id = COALESCE((SELECT u.id FROM users u WHERE u.email = mail_outbox.recipient), '');
