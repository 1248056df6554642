import { Type, type Static } from 'typebox';
import { MunicipalityCode, Period } from '../../http/schemas.js';

export const MaatwerkReportQuery = Type.Object({ period: Period }, { additionalProperties: false });

const Units = (description: string) => Type.Integer({ description: `${description} (units)` });

const Figures = {
  received: Units('Allocated to this municipality in the period and still standing (proposed, approved or accepted)'),
  unconstrained: Units('Of those same allocations, the ones the quota rule would have given this municipality without any family constraint'),
  deviation: Type.Integer({ description: 'received − unconstrained: positive = received more because of maatwerk, negative = fewer' }),
  gainedByRemoval: Units('Received because the unconstrained choice was removed (a hard constraint)'),
  gainedByPreference: Units('Received because a preference (network, work region, capacity, soft need) chose it within the tolerance'),
  gainedByOverride: Units('Received through a coordinator override'),
  lostToRemoval: Units('Would have gone here, but a hard constraint removed this municipality'),
  lostToPreference: Units('Would have gone here, but a preference chose another municipality'),
  lostToOverride: Units('Would have gone here, but the coordinator allocated elsewhere'),
};

export const MaatwerkReport = Type.Object(
  {
    period: Period,
    definition: Type.String({ maxLength: 1000 }),
    items: Type.Array(
      Type.Object(
        {
          municipality: MunicipalityCode,
          name: Type.String({ maxLength: 100 }),
          province: Type.String({ maxLength: 50 }),
          ...Figures,
          lostByReason: Type.Array(
            Type.Object({ reason: Type.String({ maxLength: 100 }), units: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
            { maxItems: 50, description: 'lostToRemoval by the reason that removed this municipality' },
          ),
        },
        { additionalProperties: false },
      ),
      { maxItems: 1000 },
    ),
    totals: Type.Object({ allocations: Type.Integer({ minimum: 0 }), ...Figures }, { additionalProperties: false }),
  },
  { additionalProperties: false, title: 'MaatwerkDeviationReport' },
);
export type MaatwerkReportView = Static<typeof MaatwerkReport>;
