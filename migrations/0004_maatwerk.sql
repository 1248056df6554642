CREATE TABLE "municipality_attribute_sources" (
	"attribute" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"reference_date" date NOT NULL,
	"imported_at" timestamp with time zone NOT NULL,
	"imported_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "capacity_declarations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"municipality" text NOT NULL,
	"period" text NOT NULL,
	"kind" text NOT NULL,
	"units" integer NOT NULL,
	"bedrooms" smallint NOT NULL,
	"accessible" boolean NOT NULL,
	"booked" integer DEFAULT 0 NOT NULL,
	"note" text,
	"created_at" timestamp with time zone NOT NULL,
	"declared_by_sub" text NOT NULL,
	"declared_by_role" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "municipality_profile_versions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"municipality" text NOT NULL,
	"version" integer NOT NULL,
	"facilities" jsonb NOT NULL,
	"labour_market_region" text,
	"wmo_region" text,
	"note" text,
	"created_at" timestamp with time zone NOT NULL,
	"created_by_sub" text NOT NULL,
	"created_by_role" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "municipality_profiles" (
	"municipality" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"facilities" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"labour_market_region" text,
	"wmo_region" text,
	"note" text,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by_sub" text NOT NULL,
	"updated_by_role" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "needs_policies" (
	"version" integer PRIMARY KEY NOT NULL,
	"needs" jsonb NOT NULL,
	"unknown_profile" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shelter_credits" (
	"registration_id" uuid NOT NULL,
	"period" text NOT NULL,
	"municipality" text NOT NULL,
	"units" integer NOT NULL,
	"minimum_nights" integer NOT NULL,
	"key_version" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "shelter_credits_registration_id_period_pk" PRIMARY KEY("registration_id","period")
);
--> statement-breakpoint
ALTER TABLE "allocations" ADD COLUMN "capacity_declaration_id" uuid;--> statement-breakpoint
ALTER TABLE "registrations" ADD COLUMN "region_restriction" jsonb;--> statement-breakpoint
ALTER TABLE "registrations" ADD COLUMN "work_region" text;--> statement-breakpoint
CREATE INDEX "capacity_declarations_period_idx" ON "capacity_declarations" USING btree ("period","municipality");--> statement-breakpoint
CREATE UNIQUE INDEX "municipality_profile_versions_code_idx" ON "municipality_profile_versions" USING btree ("municipality","version");--> statement-breakpoint
CREATE INDEX "municipality_profiles_lmr_idx" ON "municipality_profiles" USING btree ("labour_market_region");--> statement-breakpoint
CREATE INDEX "municipality_profiles_wmo_idx" ON "municipality_profiles" USING btree ("wmo_region");--> statement-breakpoint
CREATE INDEX "shelter_credits_period_idx" ON "shelter_credits" USING btree ("period","municipality");