CREATE TABLE "registration_documents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"registration_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"title_ciphertext" text NOT NULL,
	"content_ciphertext" text NOT NULL,
	"added_by" text NOT NULL,
	"added_by_sub" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "household_members" ALTER COLUMN "bsn_ciphertext" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "household_members" ALTER COLUMN "name_ciphertext" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "household_members" ALTER COLUMN "birth_date" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "household_members" ADD COLUMN "birth_year" smallint;--> statement-breakpoint
ALTER TABLE "registrations" ADD COLUMN "pseudonymised_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "detail" jsonb;--> statement-breakpoint
ALTER TABLE "shelter_stays" ADD COLUMN "corrects_id" uuid;--> statement-breakpoint
ALTER TABLE "registration_documents" ADD CONSTRAINT "registration_documents_registration_id_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "registration_documents_registration_idx" ON "registration_documents" USING btree ("registration_id","created_at");--> statement-breakpoint
ALTER TABLE "shelter_stays" ADD CONSTRAINT "shelter_stays_corrects_id_shelter_stays_id_fk" FOREIGN KEY ("corrects_id") REFERENCES "public"."shelter_stays"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "registrations_retention_idx" ON "registrations" USING btree ("closed_at") WHERE pseudonymised_at is null and closed_at is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "shelter_stays_corrects_idx" ON "shelter_stays" USING btree ("corrects_id");