package server

import (
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/identity"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

func (s *Server) listAgencies(c echo.Context) error {
	as, err := s.db.Agencies(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(as))
}

// roleJSON is a role as the admin console offers it.
type roleJSON struct {
	Role        auth.Role         `json:"role"`
	About       string            `json:"about"`
	Permissions []auth.Permission `json:"permissions"`
}

// listRoles is every role with what it may do, from the permission matrix.
func (s *Server) listRoles(c echo.Context) error {
	out := make([]roleJSON, len(auth.Roles))
	for i, r := range auth.Roles {
		out[i] = roleJSON{Role: r, About: auth.About[r], Permissions: auth.Matrix[r]}
	}
	return c.JSON(http.StatusOK, newList(out))
}

// agencyPatch changes an agency: whether it grades its own reports.
type agencyPatch struct {
	SelfGrading *bool `json:"self_grading"`
}

func (s *Server) updateAgency(c echo.Context) error {
	id, req, err := idAndBody[agencyPatch](c)
	if err != nil {
		return err
	}
	if req.SelfGrading == nil {
		return badRequest("nothing to change", FieldError{Field: "self_grading", Message: "required: true or false"})
	}
	if err := s.db.SetSelfGrading(c.Request().Context(), id, *req.SelfGrading, s.event(c, store.ActionAdmin)); err != nil {
		return err
	}
	a, err := s.db.AgencyByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

type agencyRequest struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

func (s *Server) createAgency(c echo.Context) error {
	var req agencyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	a, err := identity.AddAgency(c.Request().Context(), s.db, req.Name, req.Kind, s.event(c, store.ActionAdmin))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/agencies/"+a.ID.String())
	return c.JSON(http.StatusCreated, a)
}

func (s *Server) listUsers(c echo.Context) error {
	us, err := s.db.Users(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(us))
}

type userRequest struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	Role     auth.Role `json:"role"`
	Agency   string    `json:"agency"`
}

type userCreated struct {
	store.User
	// Password is set only when hexwatch generated it, and shown only here.
	Password string `json:"password,omitempty"`
}

func (s *Server) createUser(c echo.Context) error {
	var req userRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, generated, err := identity.AddUser(c.Request().Context(), s.db,
		identity.NewUser{Username: req.Username, Password: req.Password, Role: req.Role, Agency: req.Agency}, s.event(c, store.ActionAdmin))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/users/"+u.ID.String())
	return c.JSON(http.StatusCreated, userCreated{u, generated})
}

type userPatch struct {
	Role     *auth.Role `json:"role"`
	Disabled *bool      `json:"disabled"`
	Password *string    `json:"password"`
}

func (s *Server) updateUser(c echo.Context) error {
	id, req, err := idAndBody[userPatch](c)
	if err != nil {
		return err
	}
	var (
		errs intel.FieldErrors
		ch   = store.UserChange{Role: req.Role, Disabled: req.Disabled}
	)
	if req.Role != nil && !req.Role.Valid() {
		errs = append(errs, FieldError{Field: "role", Message: "must be partner, analyst, chair, admin or evaluator"})
	}
	if req.Role != nil && *req.Role == auth.Evaluator {
		if err := s.evaluatorAgency(c, id); err != nil {
			return err
		}
	}
	if req.Password != nil {
		hash, err := identity.HashNewPassword(*req.Password)
		var fes intel.FieldErrors
		switch {
		case errors.As(err, &fes):
			errs = append(errs, fes...)
		case err != nil:
			return err
		default:
			ch.PasswordHash = &hash
		}
	}
	if errs != nil {
		return badRequest("the change is not valid", errs...)
	}
	u, err := s.db.UpdateUser(c.Request().Context(), id, ch, s.event(c, store.ActionAdmin))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) listKeys(c echo.Context) error {
	ks, err := s.db.APIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(ks))
}

type keyRequest struct {
	Agency string    `json:"agency"`
	Role   auth.Role `json:"role"`
	Label  string    `json:"label"`
}

type keyCreated struct {
	store.APIKey
	// Key is the secret itself: shown once, here, and never again.
	Key string `json:"key"`
}

func (s *Server) createKey(c echo.Context) error {
	var req keyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	k, secret, err := identity.IssueKey(c.Request().Context(), s.db,
		identity.NewKey{Agency: req.Agency, Role: req.Role, Label: req.Label, CreatedBy: principal(c).Name}, s.event(c, store.ActionKeyCreated))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/keys/"+k.ID.String())
	return c.JSON(http.StatusCreated, keyCreated{k, secret})
}

func (s *Server) revokeKey(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	k, err := s.db.RevokeAPIKey(c.Request().Context(), id, s.event(c, store.ActionKeyRevoked))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}

// passwordChange is a user's change of their own password.
type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changeOwnPassword lets any logged-in user change their own password,
// given the current one (an API key has none).
func (s *Server) changeOwnPassword(c echo.Context) error {
	p := principal(c)
	if p.UserID == uuid.Nil {
		return newProblem(http.StatusForbidden, "an API key has no password; an admin revokes it and creates another")
	}
	var req passwordChange
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	hash, err := s.db.PasswordHash(ctx, p.UserID)
	if err != nil {
		return err
	}
	ok, err := auth.VerifyPassword(hash, req.CurrentPassword)
	if err != nil {
		return err
	}
	if !ok {
		ev := s.event(c, store.ActionAccessDenied)
		ev.ObjectType, ev.ObjectID = "user", p.UserID.String()
		ev.Detail = map[string]any{"route": "PUT /api/v1/me/password", "reason": "wrong current password"}
		if err := s.db.Audit(ctx, ev); err != nil {
			return err
		}
		return badRequest("the password was not changed", FieldError{Field: "current_password", Message: "is not your current password"})
	}
	newHash, err := identity.HashNewPassword(req.NewPassword)
	var fes intel.FieldErrors
	switch {
	case errors.As(err, &fes):
		for i := range fes {
			fes[i].Field = "new_password"
		}
		return badRequest("the password was not changed", fes...)
	case err != nil:
		return err
	}
	if _, err := s.db.UpdateUser(ctx, p.UserID, store.UserChange{PasswordHash: &newHash}, s.event(c, store.ActionAlter)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// evaluatorAgency refuses to make user id an evaluator outside a police agency.
func (s *Server) evaluatorAgency(c echo.Context, id uuid.UUID) error {
	ctx := c.Request().Context()
	us, err := s.db.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.ID != id {
			continue
		}
		a, err := s.db.AgencyByID(ctx, u.AgencyID)
		if err != nil {
			return err
		}
		if a.Kind != "police" {
			return badRequest("the change is not valid", FieldError{Field: "role", Message: "evaluator is for police agencies; " + a.Name + " is " + a.Kind})
		}
		return nil
	}
	return store.ErrNotFound
}
