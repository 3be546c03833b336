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
        "0005_entity_regime",
        """
        -- The data protection law an entity is subject to (eu_gdpr, uk_gdpr, ch_fadp,
        -- eu_gdpr_art3_2, uk_gdpr_art3_2, none); NULL = derived from the country.
        ALTER TABLE entities ADD COLUMN regime VARCHAR;
        -- When the contract carrying the transfer tool was concluded (old-clause cut-offs),
        -- and an international organisation as the destination (then country may be NULL).
        ALTER TABLE transfers ADD COLUMN contract_date DATE;
        ALTER TABLE transfers ADD COLUMN organisation VARCHAR;
        ALTER TABLE transfers ALTER COLUMN country DROP NOT NULL;
        """,
    ),
    (
        "0007_vendors",
        """
        -- The vendor / processor inventory (Art. 28): each kept once; recipients and transfers point at it.
        CREATE SEQUENCE vendor_id_seq START 1;
        CREATE TABLE vendors (
            id INTEGER PRIMARY KEY DEFAULT nextval('vendor_id_seq'),
            name VARCHAR NOT NULL,
            country VARCHAR,
            contract_ref VARCHAR NOT NULL DEFAULT '',
            sub_processors VARCHAR NOT NULL DEFAULT '[]',
            notes VARCHAR NOT NULL DEFAULT '',
            version INTEGER NOT NULL,
            updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR NOT NULL
        );
        ALTER TABLE recipients ADD COLUMN vendor_id INTEGER;
        ALTER TABLE transfers ADD COLUMN vendor_id INTEGER;

        -- Managed lists of terms the register would otherwise hold as free text (business functions,
        -- systems), seeded with the values in use.
        CREATE TABLE managed_terms (
            list VARCHAR NOT NULL,
            term VARCHAR NOT NULL,
            PRIMARY KEY (list, term)
        );
        INSERT INTO managed_terms
            SELECT DISTINCT 'business_functions', business_function FROM activities WHERE business_function <> '';
        INSERT INTO managed_terms
            SELECT DISTINCT 'systems', s FROM (SELECT unnest(systems) AS s FROM activities) WHERE s <> '';
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
    (
        "0010_drop_settings",
        """
        -- Settings are environment variables (ropa/config.py); this table was never written or read.
        DROP TABLE IF EXISTS settings;
        """,
    ),
    (
        "0011_findings_fields",
        """
        -- What the gap rules of issue 16 need recorded: the DPO's reasons for no DPIA, the law behind
        -- a legal obligation or an Art. 9/10 condition, consent withdrawal, children, automated-decision
        -- safeguards, ePrivacy consent, the processor side, the UK appropriate policy document, and the
        -- day a record stopped describing the processing (historical records).
        ALTER TABLE activities ADD COLUMN dpia_not_required_reason VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN dpia_decided_by VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN law_relied_on VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN member_state_law VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN consent_withdrawal VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN parental_consent VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN adm_safeguards VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN eprivacy_consent VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN controller_contract_ref VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN subprocessor_authorisation VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN appropriate_policy_ref VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN retention_per_policy BOOLEAN;
        ALTER TABLE activities ADD COLUMN policy_deviation_reasons VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE activities ADD COLUMN superseded_on DATE;
        ALTER TABLE entities ADD COLUMN fee_exemption VARCHAR NOT NULL DEFAULT '';
        ALTER TABLE entities ADD COLUMN art30_5_reliance VARCHAR NOT NULL DEFAULT '';
        """,
    ),
    (
        "0013_import_log",
        """
        -- One row per imported file, so "was this file imported before?" reads a column (its SHA-256).
        CREATE SEQUENCE import_id_seq START 1;
        CREATE TABLE import_log (
            id INTEGER PRIMARY KEY DEFAULT nextval('import_id_seq'),
            at_utc TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            activities INTEGER NOT NULL,
            updated INTEGER NOT NULL
        );
        -- Earlier imports, from their audit rows.
        INSERT INTO import_log (at_utc, actor, file_name, sha256, activities, updated)
            SELECT at_utc, actor, coalesce(json_extract_string(detail, '$.file'), ''),
                   json_extract_string(detail, '$.sha256'),
                   coalesce(CAST(json_extract(detail, '$.activities') AS INTEGER), 0),
                   coalesce(json_array_length(json_extract(detail, '$.updated')), 0)
            FROM audit_log
            WHERE action = 'import' AND json_valid(detail) AND json_extract_string(detail, '$.sha256') IS NOT NULL
            ORDER BY id;
        """,
    ),
    (
        "0014_transfer_authority_informed",
        """
        -- The day the supervisory authority was informed of a transfer on the compelling-legitimate-interests
        -- derogation (Art. 49(1) second subparagraph; EDPB Guidelines 2/2018, section 2.8).
        ALTER TABLE transfers ADD COLUMN authority_informed_on DATE;
        """,
    ),
]
