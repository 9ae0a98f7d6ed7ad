// What the page says of a mistake in a form. The server's problem details
// name each field and the kind of mistake (its code); the page says them
// in plain words, as the GOV.UK Design System does, and falls back to the
// server's own message for any other.

// Words by field and code ("field:code"); a field's words may also stand
// for every code of it ("field:*").
const words = {
  'username:required': 'Enter your username',
  'password:required': 'Enter your password',
  'location:required': 'Set the location: click the map, use your location, or type latitude and longitude (or easting and northing)',
  'location:outside_area': 'The location must be inside the service area',
  'category:required': 'Choose what you saw',
  'observed_at:required': 'Enter when it was seen',
  'observed_at:future': 'The date must be in the past',
  'observed_at:too_old': 'The date is too long ago: older reports are past their retention period',
  'grading.source:required': 'Choose how far the source can be trusted',
  'grading.assessment:required': 'Choose how the information was known',
  'grading.handling:required': 'Choose who may see it',
  'grading.conditions:required': 'Enter the conditions of sharing',
  'source:required': 'Choose how far the source can be trusted',
  'assessment:required': 'Choose how the information was known',
  'handling:required': 'Choose who may see it',
  'conditions:required': 'Enter the conditions of sharing',
  'narrative:too_long': 'The narrative must be 2,000 characters or fewer',
  'outcome:required': 'Choose an outcome',
  'reference:required': 'Enter the referral or crime report number',
  'duplicate_of:required': 'Choose the counted report this one repeats',
  'title:required': 'Enter a title',
  'title:too_long': 'The title must be 200 characters or fewer',
  'meeting_date:required': 'Enter the meeting date',
  'name:required': 'Enter a name for the location',
  'name:personal_data': 'The name must not hold personal data: name the place, not a person',
  'note:personal_data': 'The note must not hold personal data: no names, phone numbers, e-mail addresses, postcodes or dates of birth',
  'note:too_long': 'The note must be 500 characters or fewer',
  'tactic:required': 'Choose a tactic',
  'owner_agency:required': 'Choose the agency that owns it',
  'start_date:required': 'Enter the start date',
  'due_date:required': 'Enter the due date',
  'closed_reason:required': 'Say why the location is closed',
  'cells:required': 'Choose the area: a hotspot cell and its ring, or draw it on the map',
};

// plainError is what the page says of a field error of the API.
export function plainError(fe) {
  const said = words[`${fe.field}:${fe.code}`];
  if (said) return said;
  return `${fe.field.replaceAll('_', ' ')}: ${fe.message}`.replace(/^./, (c) => c.toUpperCase());
}
