// Package bng converts between WGS84 longitude/latitude and British
// National Grid eastings and northings (EPSG:27700) exactly as PROJ, and
// so PostGIS's ST_Transform, does where no OSTN15 grid file is installed:
// the EPSG "OSGB36 to WGS 84 (6)" Helmert transformation (EPSG:1314,
// within about 2 m of OSTN15 over Great Britain) and the transverse
// Mercator projection of the Airy 1830 ellipsoid. The service reads BNG
// input and writes BNG output through this one pair of functions, which
// agree with PostGIS to well under a millimetre.
//
// PROJ's pipeline for EPSG:4326 → EPSG:27700 (projinfo) is: geographic to
// geocentric on WGS84 at height 0, the inverse of the position-vector
// Helmert, geocentric to geographic on Airy, height dropped, then tmerc.
// Its tmerc is Poder/Engsager's, whose series is Krüger's, used here to
// the sixth order in n (Karney 2011).
package bng

import "math"

// ellipsoid is a reference ellipsoid: semi-major axis and flattening.
type ellipsoid struct{ a, f float64 }

var (
	wgs84 = ellipsoid{a: 6378137, f: 1 / 298.257223563}
	airy  = ellipsoid{a: 6377563.396, f: 1 / 299.3249646}
)

func (e ellipsoid) e2() float64 { return e.f * (2 - e.f) }

// The Helmert parameters of OSGB36 to WGS 84 (EPSG:1314), position vector.
const (
	tx, ty, tz = 446.448, -125.157, 542.06
	arcsec     = math.Pi / (180 * 3600)
	rx, ry, rz = 0.15 * arcsec, 0.247 * arcsec, 0.842 * arcsec
	scale      = 1 - 20.489e-6
)

// The British National Grid: true origin 49°N 2°W, scale on the central
// meridian, false origin.
const (
	lat0 = 49 * math.Pi / 180
	lon0 = -2 * math.Pi / 180
	k0   = 0.9996012717
	e0   = 400000
	n0   = -100000
)

// toCart is a geographic position (radians, height h) as geocentric X, Y, Z.
func (e ellipsoid) toCart(lon, lat, h float64) (x, y, z float64) {
	sin, cos := math.Sincos(lat)
	nu := e.a / math.Sqrt(1-e.e2()*sin*sin)
	return (nu + h) * cos * math.Cos(lon), (nu + h) * cos * math.Sin(lon), (nu*(1-e.e2()) + h) * sin
}

// fromCart is geocentric X, Y, Z as longitude and latitude (radians), by
// Bowring's formula as PROJ's cart does.
func (e ellipsoid) fromCart(x, y, z float64) (lon, lat float64) {
	b := e.a * (1 - e.f)
	es := e.e2()
	eps := es / (1 - es) // second eccentricity squared
	p := math.Hypot(x, y)
	theta := math.Atan2(z*e.a, p*b)
	st, ct := math.Sincos(theta)
	return math.Atan2(y, x), math.Atan2(z+eps*b*st*st*st, p-es*e.a*ct*ct*ct)
}

// The Krüger series of the Airy ellipsoid: the rectifying radius, the
// coefficients forward (alpha) and back (beta), and the northing of the
// true origin's parallel.
var (
	rectA        float64
	alpha, beta  [6]float64
	ecc          float64
	meridianLat0 float64
)

func init() {
	n := airy.f / (2 - airy.f)
	n2, n3 := n*n, n*n*n
	n4, n5, n6 := n2*n2, n2*n3, n3*n3
	rectA = airy.a / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	alpha = [6]float64{
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	beta = [6]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	ecc = math.Sqrt(airy.e2())
	_, meridianLat0 = project(0, lat0)
}

// project is the transverse Mercator of Airy longitude dlon from the
// central meridian and latitude lat (radians), in units of k0·A.
func project(dlon, lat float64) (x, y float64) {
	t := math.Sinh(math.Atanh(math.Sin(lat)) - ecc*math.Atanh(ecc*math.Sin(lat)))
	xi := math.Atan2(t, math.Cos(dlon))
	eta := math.Atanh(math.Sin(dlon) / math.Sqrt(1+t*t))
	x, y = eta, xi
	for j, a := range alpha {
		k := 2 * float64(j+1)
		x += a * math.Cos(k*xi) * math.Sinh(k*eta)
		y += a * math.Sin(k*xi) * math.Cosh(k*eta)
	}
	return x, y
}

// unproject is the inverse of project.
func unproject(x, y float64) (dlon, lat float64) {
	xi, eta := y, x
	for j, b := range beta {
		k := 2 * float64(j+1)
		xi -= b * math.Sin(k*y) * math.Cosh(k*x)
		eta -= b * math.Cos(k*y) * math.Sinh(k*x)
	}
	tauP := math.Sin(xi) / math.Hypot(math.Sinh(eta), math.Cos(xi))
	dlon = math.Atan2(math.Sinh(eta), math.Cos(xi))
	// The latitude whose conformal latitude's tangent is tauP, by Newton.
	tau := tauP
	for range 5 {
		sigma := math.Sinh(ecc * math.Atanh(ecc*tau/math.Sqrt(1+tau*tau)))
		tp := tau*math.Sqrt(1+sigma*sigma) - sigma*math.Sqrt(1+tau*tau)
		d := (tauP - tp) / math.Sqrt(1+tp*tp) * (1 + (1-airy.e2())*tau*tau) / ((1 - airy.e2()) * math.Sqrt(1+tau*tau))
		tau += d
		if math.Abs(d) < 1e-14 {
			break
		}
	}
	return dlon, math.Atan(tau)
}

// FromWGS84 is the British National Grid easting and northing (metres) of
// a WGS84 longitude and latitude (degrees).
func FromWGS84(lon, lat float64) (easting, northing float64) {
	x, y, z := wgs84.toCart(lon*math.Pi/180, lat*math.Pi/180, 0)
	// The inverse Helmert: remove the shift and scale, rotate back (the
	// transpose of the position-vector rotation).
	x, y, z = (x-tx)/scale, (y-ty)/scale, (z-tz)/scale
	x, y, z = x+rz*y-ry*z, -rz*x+y+rx*z, ry*x-rx*y+z
	alon, alat := airy.fromCart(x, y, z)
	px, py := project(alon-lon0, alat)
	return e0 + k0*rectA*px, n0 + k0*rectA*(py-meridianLat0)
}

// ToWGS84 is the WGS84 longitude and latitude (degrees) of a British
// National Grid easting and northing (metres).
func ToWGS84(easting, northing float64) (lon, lat float64) {
	dlon, alat := unproject((easting-e0)/(k0*rectA), (northing-n0)/(k0*rectA)+meridianLat0)
	x, y, z := airy.toCart(dlon+lon0, alat, 0)
	x, y, z = tx+scale*(x-rz*y+ry*z), ty+scale*(rz*x+y-rx*z), tz+scale*(-ry*x+rx*y+z)
	wlon, wlat := wgs84.fromCart(x, y, z)
	return wlon * 180 / math.Pi, wlat * 180 / math.Pi
}
