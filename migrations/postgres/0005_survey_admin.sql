-- Survey administration (issue 7): one invite per service transaction of a unit,
-- and at most one complaint made from a survey response's saran.
CREATE UNIQUE INDEX survey_invites_transaction ON survey_invites (unit_id, transaction_ref);
CREATE UNIQUE INDEX complaints_survey_response ON complaints (survey_response_id) WHERE survey_response_id IS NOT NULL;
CREATE INDEX survey_periods_unit ON survey_periods (unit_id, starts_on);
