package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/store"
)

func (s *Server) listAgencies(c echo.Context) error {
	as, err := s.db.Agencies(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(as))
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
	req.Name = strings.TrimSpace(req.Name)
	var errs []FieldError
	if req.Name == "" || len(req.Name) > 200 {
		errs = append(errs, FieldError{Field: "name", Message: "required, at most 200 characters"})
	}
	if !auth.ValidAgencyKind(req.Kind) {
		errs = append(errs, FieldError{Field: "kind", Message: "must be one of " + strings.Join(auth.AgencyKinds, ", ")})
	}
	if errs != nil {
		return badRequest("the agency is not valid", errs...)
	}
	a, err := s.db.CreateAgency(c.Request().Context(), req.Name, req.Kind, s.event(c, store.ActionAdmin))
	if errors.Is(err, store.ErrConflict) {
		return newProblem(http.StatusConflict, "an agency of that name exists", FieldError{Field: "name", Message: "already taken"})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/agencies/"+a.ID.String())
	return c.JSON(http.StatusCreated, a)
}

// agencyField resolves an agency named in a request, as a field error when
// there is none of that name.
func (s *Server) agencyField(c echo.Context, name string) (store.Agency, *FieldError, error) {
	if strings.TrimSpace(name) == "" {
		return store.Agency{}, &FieldError{Field: "agency", Message: "required: the name of an agency"}, nil
	}
	a, err := s.db.AgencyByName(c.Request().Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return a, &FieldError{Field: "agency", Message: "no agency of that name"}, nil
	}
	return a, nil, err
}

func roleField(r auth.Role) *FieldError {
	if r.Valid() {
		return nil
	}
	return &FieldError{Field: "role", Message: "must be partner, analyst, chair or admin"}
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
	var errs []FieldError
	if msg := auth.ValidateUsername(req.Username); msg != "" {
		errs = append(errs, FieldError{Field: "username", Message: msg})
	}
	generated := ""
	if req.Password == "" {
		generated = auth.NewPassword()
		req.Password = generated
	} else if msg := auth.ValidatePassword(req.Password); msg != "" {
		errs = append(errs, FieldError{Field: "password", Message: msg})
	}
	if fe := roleField(req.Role); fe != nil {
		errs = append(errs, *fe)
	}
	agency, fe, err := s.agencyField(c, req.Agency)
	if err != nil {
		return err
	}
	if fe != nil {
		errs = append(errs, *fe)
	}
	if errs != nil {
		return badRequest("the user is not valid", errs...)
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		return err
	}
	u, err := s.db.CreateUser(c.Request().Context(),
		store.NewUser{Username: req.Username, PasswordHash: hash, Role: req.Role, AgencyID: agency.ID}, s.event(c, store.ActionAdmin))
	if errors.Is(err, store.ErrConflict) {
		return newProblem(http.StatusConflict, "a user of that name exists", FieldError{Field: "username", Message: "already taken"})
	}
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
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	var req userPatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var (
		errs []FieldError
		ch   = store.UserChange{Role: req.Role, Disabled: req.Disabled}
	)
	if req.Role != nil {
		if fe := roleField(*req.Role); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if req.Password != nil {
		if msg := auth.ValidatePassword(*req.Password); msg != "" {
			errs = append(errs, FieldError{Field: "password", Message: msg})
		} else {
			hash, err := auth.HashPassword(*req.Password)
			if err != nil {
				return err
			}
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
	var errs []FieldError
	if fe := roleField(req.Role); fe != nil {
		errs = append(errs, *fe)
	}
	if len(req.Label) > 200 {
		errs = append(errs, FieldError{Field: "label", Message: "at most 200 characters"})
	}
	agency, fe, err := s.agencyField(c, req.Agency)
	if err != nil {
		return err
	}
	if fe != nil {
		errs = append(errs, *fe)
	}
	if errs != nil {
		return badRequest("the key request is not valid", errs...)
	}
	key, prefix := auth.NewAPIKey()
	k, err := s.db.CreateAPIKey(c.Request().Context(), store.NewAPIKey{
		Hash: auth.HashSecret(key), Prefix: prefix, Label: req.Label, AgencyID: agency.ID, Role: req.Role,
		CreatedBy: principal(c).Name,
	}, s.event(c, store.ActionKeyCreated))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/keys/"+k.ID.String())
	return c.JSON(http.StatusCreated, keyCreated{k, key})
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
