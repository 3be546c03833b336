"""Named schema migrations, applied in order and recorded in ``schema_migrations``.

Append new migrations at the end; never edit one that has shipped. Foreign
keys are checked in ``ropa.storage`` rather than declared: DuckDB rewrites an
updated row as delete + insert, which trips declared foreign keys.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE SEQUENCE entity_id_seq START 1;
        CREATE SEQUENCE activity_id_seq START 1;
        CREATE SEQUENCE audit_id_seq START 1;

        CREATE TABLE entities (
            id INTEGER PRIMARY KEY DEFAULT nextval('entity_id_seq'),
            name VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            parent_id INTEGER,
            company_number VARCHAR NOT NULL DEFAULT '',
            ico_registration VARCHAR NOT NULL DEFAULT '',
            country VARCHAR NOT NULL,
            address VARCHAR NOT NULL DEFAULT '',
            email VARCHAR NOT NULL DEFAULT '',
            phone VARCHAR NOT NULL DEFAULT '',
            dpo_name VARCHAR NOT NULL DEFAULT '',
            dpo_email VARCHAR NOT NULL DEFAULT '',
            dpo_phone VARCHAR NOT NULL DEFAULT '',
            representative_name VARCHAR NOT NULL DEFAULT '',
            representative_contact VARCHAR NOT NULL DEFAULT '',
            notes VARCHAR NOT NULL DEFAULT '',
            archived BOOLEAN NOT NULL DEFAULT false,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        );

        CREATE TABLE activities (
            id INTEGER PRIMARY KEY DEFAULT nextval('activity_id_seq'),
            entity_id INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            business_function VARCHAR NOT NULL DEFAULT '',
            purpose VARCHAR NOT NULL DEFAULT '',
            role VARCHAR NOT NULL,
            controller_served VARCHAR NOT NULL DEFAULT '',
            joint_controllers VARCHAR NOT NULL DEFAULT '',
            joint_arrangement_ref VARCHAR NOT NULL DEFAULT '',
            lawful_bases VARCHAR[] NOT NULL DEFAULT [],
            legitimate_interest VARCHAR NOT NULL DEFAULT '',
            lia_ref VARCHAR NOT NULL DEFAULT '',
            consent_record_ref VARCHAR NOT NULL DEFAULT '',
            art9_conditions VARCHAR[] NOT NULL DEFAULT [],
            art10_basis VARCHAR NOT NULL DEFAULT '',
            data_subjects VARCHAR[] NOT NULL DEFAULT [],
            data_categories VARCHAR[] NOT NULL DEFAULT [],
            retention_kind VARCHAR NOT NULL DEFAULT 'unknown',
            retention_months INTEGER,
            retention_trigger VARCHAR,
            retention_rule VARCHAR NOT NULL DEFAULT '',
            security_measures VARCHAR[] NOT NULL DEFAULT [],
            security_description VARCHAR NOT NULL DEFAULT '',
            systems VARCHAR[] NOT NULL DEFAULT [],
            data_location VARCHAR NOT NULL DEFAULT '',
            data_source VARCHAR NOT NULL DEFAULT '',
            adm BOOLEAN NOT NULL DEFAULT false,
            adm_description VARCHAR NOT NULL DEFAULT '',
            adm_basis VARCHAR,
            dpia_required BOOLEAN,
            dpia_status VARCHAR,
            dpia_ref VARCHAR NOT NULL DEFAULT '',
            owner VARCHAR NOT NULL DEFAULT '',
            status VARCHAR NOT NULL DEFAULT 'draft',
            last_reviewed DATE,
            next_review_due DATE,
            source_document VARCHAR NOT NULL DEFAULT '',
            source_section VARCHAR NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 1,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR NOT NULL
        );

        CREATE TABLE recipients (
            activity_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            category VARCHAR NOT NULL,
            name VARCHAR NOT NULL DEFAULT '',
            role VARCHAR,
            country VARCHAR,
            contract_ref VARCHAR NOT NULL DEFAULT ''
        );

        CREATE TABLE transfers (
            activity_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            country VARCHAR NOT NULL,
            recipient VARCHAR NOT NULL DEFAULT '',
            mechanism VARCHAR,
            tia_ref VARCHAR NOT NULL DEFAULT '',
            safeguard_doc VARCHAR NOT NULL DEFAULT ''
        );

        CREATE TABLE audit_log (
            id BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
            at_utc TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            record_type VARCHAR NOT NULL,
            record_id INTEGER,
            entity_id INTEGER,
            version INTEGER,
            before VARCHAR,
            after VARCHAR,
            detail VARCHAR NOT NULL DEFAULT ''
        );

        CREATE TABLE settings (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL
        );
        """,
    ),
    (
        "0002_ico_template_fields",
        """
        ALTER TABLE activities ADD COLUMN dpa_schedule1_condition VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN retention_policy_ref VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN rights_available VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN breach_ref VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN dpia_criteria VARCHAR[] NOT NULL DEFAULT [];
        ALTER TABLE activities ADD COLUMN notes VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN unmapped VARCHAR NOT NULL DEFAULT '{}';
        ALTER TABLE entities ADD COLUMN dpo_required BOOLEAN;
        """,
    ),
    (
        "0003_accepted_findings",
        """
        CREATE SEQUENCE accepted_finding_id_seq START 1;

        -- A gap finding a DPO accepted as a risk. It suppresses the finding only
        -- while expires_on has not passed and the record is still at
        -- record_version (the activity's, or the entity's for entity findings).
        CREATE TABLE accepted_findings (
            id INTEGER PRIMARY KEY DEFAULT nextval('accepted_finding_id_seq'),
            rule VARCHAR NOT NULL,
            activity_id INTEGER,
            entity_id INTEGER NOT NULL,
            subject VARCHAR NOT NULL DEFAULT '',
            record_version INTEGER NOT NULL,
            justification VARCHAR NOT NULL,
            expires_on DATE NOT NULL,
            accepted_by VARCHAR NOT NULL,
            accepted_at TIMESTAMP NOT NULL
        );
        """,
    ),
    (
        "0004_export_log",
        """
        CREATE SEQUENCE export_id_seq START 1;

        -- Every export handed out (Art. 5(2) accountability): who, when, what
        -- scope and as-of date, and the SHA-256 of the file and of the content.
        CREATE TABLE export_log (
            id INTEGER PRIMARY KEY DEFAULT nextval('export_id_seq'),
            at_utc TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            format VARCHAR NOT NULL,
            entity_id INTEGER,
            scope VARCHAR NOT NULL,
            as_of DATE NOT NULL,
            file_name VARCHAR NOT NULL,
            file_sha256 VARCHAR NOT NULL,
            content_sha256 VARCHAR NOT NULL,
            activity_count INTEGER NOT NULL,
            byte_size BIGINT NOT NULL
        );
        """,
    ),
    (
        "0009_mapping_profiles",
        """
        CREATE SEQUENCE mapping_profile_id_seq START 1;

        -- How the columns of one shape of spreadsheet map to the register's fields, saved on import and
        -- reused for the next file whose headings are the same (the signature).
        CREATE TABLE mapping_profiles (
            id INTEGER PRIMARY KEY DEFAULT nextval('mapping_profile_id_seq'),
            name VARCHAR NOT NULL UNIQUE,
            signature VARCHAR NOT NULL,
            mapping VARCHAR NOT NULL,
            saved_at TIMESTAMP NOT NULL,
            saved_by VARCHAR NOT NULL
        );
        """,
    ),
]
