CREATE TABLE "housing_offers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"registration_id" uuid NOT NULL,
	"municipality" text NOT NULL,
	"offered_on" date NOT NULL,
	"move_in_date" date,
	"bedrooms" smallint NOT NULL,
	"accessible" boolean NOT NULL,
	"status" text NOT NULL,
	"corporation_sub" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by_sub" text NOT NULL,
	"updated_by_role" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "housing_offers" ADD CONSTRAINT "housing_offers_registration_id_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "housing_offers_registration_idx" ON "housing_offers" USING btree ("registration_id","created_at");--> statement-breakpoint
CREATE INDEX "housing_offers_corporation_idx" ON "housing_offers" USING btree ("corporation_sub","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "housing_offers_one_accepted_idx" ON "housing_offers" USING btree ("registration_id") WHERE status = 'accepted';