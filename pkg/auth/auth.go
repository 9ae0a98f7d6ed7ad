// Package auth holds hexwatch's identities and who may do what: roles, the
// permission matrix, principals, password hashing and API-key and session
// secrets. It is pure: storage is pkg/store's, HTTP is pkg/server's.
package auth

import (
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Role is what a user or API key is allowed to do.
type Role string

// The roles, from least to most administrative.
const (
	Partner Role = "partner"
	Analyst Role = "analyst"
	Chair   Role = "chair"
	Admin   Role = "admin"
	// Evaluator is a police intelligence handler who evaluates partners'
	// reports (users and keys of police agencies only).
	Evaluator Role = "evaluator"
)

// Roles lists every role.
var Roles = []Role{Partner, Analyst, Chair, Admin, Evaluator}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// AgencyKinds lists the kinds of partner agency.
var AgencyKinds = []string{"police", "local_authority", "education", "health", "social_care",
	"youth_justice", "housing", "voluntary", "community"}

// Permission is one thing a caller may do.
type Permission string

// The permissions that routes require.
const (
	// ViewReference: read the taxonomy and the list of agencies.
	ViewReference Permission = "reference:view"
	// SubmitReports: post reports for the caller's own agency.
	SubmitReports Permission = "reports:submit"
	// ReadOwnReports: read the own agency's reports.
	ReadOwnReports Permission = "reports:own"
	// ChangeOwnReports: amend and withdraw the own agency's reports (only
	// the agency that submitted a report may change it).
	ChangeOwnReports Permission = "reports:change-own"
	// ReadAllReports: read every agency's raw reports, narrative included.
	ReadAllReports Permission = "reports:all"
	// ViewHotspots: see hotspots; without ReadAllReports, small cells are suppressed.
	ViewHotspots Permission = "hotspots:view"
	// CreateSnapshots: freeze a hotspot snapshot.
	CreateSnapshots Permission = "snapshots:create"
	// ExportSnapshots: list, read and export snapshots.
	ExportSnapshots Permission = "snapshots:export"
	// ManageIdentities: agencies, users and API keys.
	ManageIdentities Permission = "identities:manage"
	// ReadAudit: read the audit log.
	ReadAudit Permission = "audit:read"
	// EraseData: erase reports and delete snapshots for good, and decide on retention.
	EraseData Permission = "data:erase"
	// EvaluateReports: the evaluation queue; grade a report and decide its outcome.
	EvaluateReports Permission = "reports:evaluate"
	// ViewFeedback: the outcomes of the own agency's submissions, month by month.
	ViewFeedback Permission = "feedback:view"
	// AllFeedback: the same for every agency.
	AllFeedback Permission = "feedback:all"
	// ManageLocations: record locations of concern and task agencies with
	// actions on them; see every agency's actions.
	ManageLocations Permission = "locations:manage"
	// WorkActions: see and update the actions the own agency owns.
	WorkActions Permission = "actions:work"
	// ViewActivity: every agency's reports received week by week, and the
	// ones that fell silent.
	ViewActivity Permission = "agencies:activity"
)

// Matrix is the permission matrix: the one place that says what each role
// may do. README.md shows it; every route names the permission it needs.
var Matrix = map[Role][]Permission{
	Partner: {ViewReference, SubmitReports, ReadOwnReports, ChangeOwnReports, ViewHotspots, ViewFeedback, WorkActions},
	Analyst: {ViewReference, ReadOwnReports, ChangeOwnReports, ReadAllReports, ViewHotspots, CreateSnapshots, ExportSnapshots,
		ManageLocations, WorkActions, ViewActivity},
	Chair: {ViewReference, ViewHotspots, CreateSnapshots, ExportSnapshots, ViewFeedback, AllFeedback, ManageLocations, WorkActions,
		ViewActivity},
	Admin:     {ViewReference, ManageIdentities, ReadAudit, EraseData, ViewFeedback, AllFeedback, ViewActivity},
	Evaluator: {ViewReference, ReadOwnReports, ReadAllReports, ViewHotspots, EvaluateReports, ViewFeedback, AllFeedback, WorkActions},
}

// About says in a line what each role is for, as the admin console
// offers the roles (from Roles and Matrix, so that none is missed).
var About = map[Role]string{
	Partner:   "a partner agency: reports its own intelligence, sees the published view",
	Analyst:   "police analyst: reads every report, explores the exact hotspots",
	Chair:     "tasking-meeting chair: the published view, snapshots and feedback",
	Admin:     "administers users, keys and agencies, the audit log and retention",
	Evaluator: "police intelligence handler (police agencies only): evaluates and grades partners' reports",
}

// Can reports whether role r holds permission p.
func (r Role) Can(p Permission) bool { return slices.Contains(Matrix[r], p) }

// Principal is an authenticated caller: a user with a session, or an API key.
type Principal struct {
	UserID     uuid.UUID // zero for an API key
	KeyID      uuid.UUID // zero for a user
	Name       string    // username, or "key:" and the key's prefix
	Role       Role
	AgencyID   uuid.UUID
	AgencyName string
	// CSRFToken is the session's anti-CSRF token; empty for API keys.
	CSRFToken string
}

// Can reports whether the principal holds permission p.
func (p *Principal) Can(perm Permission) bool { return p != nil && p.Role.Can(perm) }

// ValidateUsername explains what is wrong with a username, or returns "".
func ValidateUsername(u string) string {
	if !usernameRE.MatchString(u) {
		return "must be 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
	}
	return ""
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ValidatePassword explains what is wrong with a new password, or returns "".
func ValidatePassword(p string) string {
	if n := utf8.RuneCountInString(p); n < 12 || n > 256 {
		return "must be 12 to 256 characters"
	}
	return ""
}

// ValidAgencyKind reports whether k is one of AgencyKinds.
func ValidAgencyKind(k string) bool { return slices.Contains(AgencyKinds, k) }
