CREATE TABLE "municipalities" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"province" text NOT NULL,
	"population" integer NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"suspended" boolean DEFAULT false NOT NULL,
	"capacity_per_period" integer,
	"active" boolean DEFAULT true NOT NULL,
	"merged_into" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "distribution_keys" (
	"version" integer PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"definition" jsonb NOT NULL,
	"weights" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_movements" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"period" text NOT NULL,
	"key_version" integer,
	"municipality" text,
	"units" integer DEFAULT 0 NOT NULL,
	"entitlement_delta" text,
	"registration_id" uuid,
	"allocation_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_state" (
	"id" smallint PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"key_version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "municipality_ledger" (
	"municipality" text PRIMARY KEY NOT NULL,
	"allocated" integer DEFAULT 0 NOT NULL,
	"carried" text DEFAULT '0/1' NOT NULL,
	"updated_seq" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "period_counters" (
	"period" text NOT NULL,
	"municipality" text NOT NULL,
	"proposed" integer DEFAULT 0 NOT NULL,
	"approved" integer DEFAULT 0 NOT NULL,
	"realised" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "period_counters_period_municipality_pk" PRIMARY KEY("period","municipality")
);
--> statement-breakpoint
CREATE TABLE "period_key_units" (
	"period" text NOT NULL,
	"key_version" integer NOT NULL,
	"units" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "period_key_units_period_key_version_pk" PRIMARY KEY("period","key_version")
);
--> statement-breakpoint
CREATE TABLE "period_settlements" (
	"period" text NOT NULL,
	"municipality" text NOT NULL,
	"entitlement" text NOT NULL,
	"allocated" integer NOT NULL,
	"balance" text NOT NULL,
	"carried_out" text NOT NULL,
	CONSTRAINT "period_settlements_period_municipality_pk" PRIMARY KEY("period","municipality")
);
--> statement-breakpoint
CREATE TABLE "periods" (
	"period" text PRIMARY KEY NOT NULL,
	"starts_on" date NOT NULL,
	"ends_on" date NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"closed_at" timestamp with time zone,
	"closed_by" text,
	"carry_factor" text,
	"carry_cap" integer
);
--> statement-breakpoint
CREATE TABLE "active_bsn_claims" (
	"bsn_hmac" text PRIMARY KEY NOT NULL,
	"registration_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "allocations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"registration_id" uuid NOT NULL,
	"municipality" text NOT NULL,
	"status" text NOT NULL,
	"kind" text NOT NULL,
	"units" integer NOT NULL,
	"key_version" integer NOT NULL,
	"period" text NOT NULL,
	"explanation" jsonb NOT NULL,
	"reason_ciphertext" text,
	"created_at" timestamp with time zone NOT NULL,
	"created_by_sub" text NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by_sub" text
);
--> statement-breakpoint
CREATE TABLE "duplicate_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"existing_registration_id" uuid NOT NULL,
	"attempted_by" text NOT NULL,
	"attempted_by_sub" text NOT NULL,
	"attempted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "household_members" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"registration_id" uuid NOT NULL,
	"role" text NOT NULL,
	"position" smallint NOT NULL,
	"bsn_hmac" text NOT NULL,
	"bsn_ciphertext" text NOT NULL,
	"name_ciphertext" text NOT NULL,
	"birth_date" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"client_sub" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"registration_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_client_sub_key_pk" PRIMARY KEY("client_sub","key")
);
--> statement-breakpoint
CREATE TABLE "registration_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"registration_id" uuid NOT NULL,
	"action" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"allocation_id" uuid,
	"municipality" text,
	"actor_sub" text NOT NULL,
	"actor_role" text NOT NULL,
	"actor_municipality" text,
	"reason_ciphertext" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registrations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"reporting_municipality" text NOT NULL,
	"receiving_municipality" text,
	"reported_on" date NOT NULL,
	"subgroup" text NOT NULL,
	"eligibility" jsonb NOT NULL,
	"adults" smallint NOT NULL,
	"children" smallint NOT NULL,
	"needs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"network_municipalities" text[] DEFAULT '{}'::text[] NOT NULL,
	"excluded_municipalities" text[] DEFAULT '{}'::text[] NOT NULL,
	"notes_ciphertext" text,
	"allocation_round" integer DEFAULT 1 NOT NULL,
	"accrued_key_version" integer,
	"accrued_period" text,
	"accrued_units" integer,
	"first_proposed_at" timestamp with time zone,
	"approved_at" timestamp with time zone,
	"transferred_on" date,
	"outcome" text,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"created_by_sub" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor_sub" text NOT NULL,
	"actor_role" text NOT NULL,
	"actor_organisation" text,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text,
	"registration_id" uuid,
	"trace_id" text,
	"status_code" integer
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"job_name" text NOT NULL,
	"job_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "shelter_stays" (
	"id" uuid PRIMARY KEY NOT NULL,
	"registration_id" uuid NOT NULL,
	"municipality" text NOT NULL,
	"type" text NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date,
	"nightly_cost_cents" integer NOT NULL,
	"location_ciphertext" text,
	"closed_automatically" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "active_bsn_claims" ADD CONSTRAINT "active_bsn_claims_registration_id_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_registration_id_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_attempts" ADD CONSTRAINT "duplicate_attempts_existing_registration_id_registrations_id_fk" FOREIGN KEY ("existing_registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "household_members" ADD CONSTRAINT "household_members_registration_id_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registration_events" ADD CONSTRAINT "registration_events_registration_id_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shelter_stays" ADD CONSTRAINT "shelter_stays_registration_id_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "municipalities_province_idx" ON "municipalities" USING btree ("province");--> statement-breakpoint
CREATE INDEX "ledger_movements_municipality_idx" ON "ledger_movements" USING btree ("municipality");--> statement-breakpoint
CREATE INDEX "ledger_movements_period_idx" ON "ledger_movements" USING btree ("period");--> statement-breakpoint
CREATE INDEX "allocations_registration_idx" ON "allocations" USING btree ("registration_id");--> statement-breakpoint
CREATE INDEX "allocations_status_idx" ON "allocations" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "allocations_municipality_idx" ON "allocations" USING btree ("municipality");--> statement-breakpoint
CREATE UNIQUE INDEX "allocations_one_active_idx" ON "allocations" USING btree ("registration_id") WHERE status in ('proposed', 'approved', 'accepted');--> statement-breakpoint
CREATE INDEX "household_members_registration_idx" ON "household_members" USING btree ("registration_id");--> statement-breakpoint
CREATE INDEX "household_members_bsn_idx" ON "household_members" USING btree ("bsn_hmac");--> statement-breakpoint
CREATE INDEX "registration_events_registration_idx" ON "registration_events" USING btree ("registration_id","id");--> statement-breakpoint
CREATE INDEX "registrations_reporting_idx" ON "registrations" USING btree ("reporting_municipality");--> statement-breakpoint
CREATE INDEX "registrations_receiving_idx" ON "registrations" USING btree ("receiving_municipality");--> statement-breakpoint
CREATE INDEX "registrations_status_idx" ON "registrations" USING btree ("status");--> statement-breakpoint
CREATE INDEX "registrations_created_idx" ON "registrations" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "audit_events_registration_idx" ON "audit_events" USING btree ("registration_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "outbox" USING btree ("created_at") WHERE sent_at is null;--> statement-breakpoint
CREATE INDEX "shelter_stays_registration_idx" ON "shelter_stays" USING btree ("registration_id");--> statement-breakpoint
CREATE INDEX "shelter_stays_municipality_idx" ON "shelter_stays" USING btree ("municipality","start_date");