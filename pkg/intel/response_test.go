package intel

import "testing"

func TestPersonalData(t *testing.T) {
	for s, want := range map[string]string{
		"Patrols on Fri and Sat evenings":             "",
		"Spoke to the manager of unit 4":              "",
		"Call 07700 900123 for access":                "a phone number",
		"ring 01223 456789":                           "a phone number",
		"contact j.smith@example.org":                 "an e-mail address",
		"flat at CB1 2AB":                             "a full postcode",
		"NI QQ 12 34 56 C":                            "a National Insurance number",
		"boy, DOB 01/02/2011":                         "a date of birth",
		"Closure order granted for 3 months at court": "",
	} {
		if got := PersonalData(s); got != want {
			t.Errorf("PersonalData(%q) = %q, want %q", s, got, want)
		}
	}
}
