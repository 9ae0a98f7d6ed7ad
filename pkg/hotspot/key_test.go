package hotspot

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/paulmach/orb"
)

// TestKeyNamesEveryField changes each field of Params, and each field of
// what a pointer field points to, and expects another key: a field that
// Key leaves out would serve a cached answer of other parameters.
func TestKeyNamesEveryField(t *testing.T) {
	base := Params{AsOf: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), BBox: &orb.Bound{Max: orb.Point{1, 1}}, Release: &Release{K: 5}}.Defaults(time.Time{})
	want := base.Key()
	var check func(path string, v reflect.Value, restore func())
	check = func(path string, v reflect.Value, restore func()) {
		switch v.Kind() {
		case reflect.Struct:
			if v.Type() == reflect.TypeOf(time.Time{}) {
				v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Second)))
				break
			}
			for i := range v.NumField() {
				f := v.Field(i)
				old := reflect.New(f.Type()).Elem()
				old.Set(f)
				check(path+"."+v.Type().Field(i).Name, f, func() { f.Set(old) })
			}
			return
		case reflect.Pointer:
			if v.IsNil() {
				t.Fatalf("%s: nil in the base Params", path)
			}
			check(path, v.Elem(), restore)
			return
		case reflect.Array:
			if v.Type() == reflect.TypeOf(uuid.UUID{}) {
				v.Index(0).SetUint(v.Index(0).Uint() + 1)
				break
			}
			check(path+"[0]", v.Index(0), restore)
			return
		case reflect.Slice:
			elem := reflect.New(v.Type().Elem()).Elem()
			if elem.Kind() == reflect.String {
				elem.SetString("weapons")
			} else {
				elem.Set(reflect.ValueOf(uuid.MustParse("01a24d1f-0000-7000-8000-000000000001")))
			}
			v.Set(reflect.Append(v, elem))
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Float64:
			v.SetFloat(v.Float() + 0.5)
		default:
			t.Fatalf("%s: a %s, which this test does not change", path, v.Kind())
		}
		p := reflect.ValueOf(&base).Elem().Interface().(Params)
		if p.Key() == want {
			t.Errorf("changing %s leaves the key as it was: Key() leaves it out", path)
		}
		restore()
	}
	v := reflect.ValueOf(&base).Elem()
	check("Params", v, func() {})
	if base.Key() != want {
		t.Fatal("the test did not restore the fields it changed")
	}
}
