package api

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Catalog holds the values orders may use: products, cities and routes.
type Catalog struct {
	Products []Product
	Cities   *CityTree
	Routes   []Route

	byBarcode map[string]Product
	byName    map[string]Product
}

// NewCatalog indexes products, cities and routes.
func NewCatalog(products []Product, cities []City, routes []Route) *Catalog {
	c := &Catalog{
		Products:  products,
		Cities:    NewCityTree(cities),
		Routes:    routes,
		byBarcode: make(map[string]Product, len(products)),
		byName:    make(map[string]Product, len(products)),
	}
	for _, p := range products {
		c.byBarcode[p.Barcode] = p
		c.byName[p.Name] = p
	}
	return c
}

// ProductByBarcode finds a product by its EAN-13.
func (c *Catalog) ProductByBarcode(barcode string) (Product, bool) {
	p, ok := c.byBarcode[barcode]
	return p, ok
}

// ProductByName finds a product by its exact name.
func (c *Catalog) ProductByName(name string) (Product, bool) {
	p, ok := c.byName[name]
	return p, ok
}

// Route finds a route by code.
func (c *Catalog) Route(code string) (Route, bool) {
	for _, r := range c.Routes {
		if r.Code == code {
			return r, true
		}
	}
	return Route{}, false
}

// Catalog returns the products, cities and routes, fetched together and
// cached for Options.CatalogTTL.
func (c *Client) Catalog(ctx context.Context) (*Catalog, error) {
	c.mu.Lock()
	if c.catalog != nil && time.Since(c.catAt) < c.opts.CatalogTTL {
		cat := c.catalog
		c.mu.Unlock()
		return cat, nil
	}
	c.mu.Unlock()

	var (
		products []Product
		cities   []City
		routes   []Route
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { products, err = c.Products(gctx); return })
	g.Go(func() (err error) { cities, err = c.Cities(gctx); return })
	g.Go(func() (err error) { routes, err = c.Routes(gctx); return })
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	cat := NewCatalog(products, cities, routes)
	c.mu.Lock()
	c.catalog, c.catAt = cat, time.Now()
	c.mu.Unlock()
	return cat, nil
}

// CityMatch is where a name sits in the cities tree.
type CityMatch struct {
	Name     string
	Province string   // the top-level name it falls under
	Path     []string // province … name
}

// Level is 1 for a province, 2 for a city, 3 for a district.
func (m CityMatch) Level() int { return len(m.Path) }

// CityTree indexes the cities tree by name at every level.
type CityTree struct {
	Roots  []City
	byName map[string][]CityMatch
}

// NewCityTree indexes roots.
func NewCityTree(roots []City) *CityTree {
	t := &CityTree{Roots: roots, byName: make(map[string][]CityMatch)}
	var walk func(path []string, cs []City)
	walk = func(path []string, cs []City) {
		for _, c := range cs {
			p := append(append([]string(nil), path...), c.Name)
			t.byName[c.Name] = append(t.byName[c.Name], CityMatch{Name: c.Name, Province: p[0], Path: p})
			walk(p, c.Contains)
		}
	}
	walk(nil, roots)
	for _, ms := range t.byName {
		sortMatches(ms)
	}
	return t
}

// Find returns every place with this exact name (北京 is a province and a
// city), shallowest first.
func (t *CityTree) Find(name string) []CityMatch { return t.byName[name] }

// Search returns places whose name contains the query.
func (t *CityTree) Search(query string) []CityMatch {
	var out []CityMatch
	for name, ms := range t.byName {
		if strings.Contains(name, query) {
			out = append(out, ms...)
		}
	}
	sortMatches(out)
	return out
}

// Suggest returns names close to one that is not in the tree: with or
// without a trailing 市/区/县/省, or containing it.
func (t *CityTree) Suggest(name string) []string {
	base := strings.TrimRight(name, "市区县省")
	var out []string
	seen := map[string]bool{name: true}
	for _, cand := range []string{base, base + "市", base + "区", base + "县"} {
		if !seen[cand] && len(t.byName[cand]) > 0 {
			out = append(out, cand)
			seen[cand] = true
		}
	}
	if len(out) == 0 && base != "" {
		for _, m := range t.Search(base) {
			if !seen[m.Name] && len(out) < 5 {
				out = append(out, m.Name)
				seen[m.Name] = true
			}
		}
	}
	return out
}

func sortMatches(ms []CityMatch) {
	slices.SortFunc(ms, func(a, b CityMatch) int {
		if c := cmp.Compare(len(a.Path), len(b.Path)); c != 0 {
			return c
		}
		return cmp.Compare(strings.Join(a.Path, "/"), strings.Join(b.Path, "/"))
	})
}
