package rest

import (
	"encoding/json"
	"fmt"
)

// SObject is an entry of the sobjects list.
type SObject struct {
	Name          string            `json:"name"`
	Label         string            `json:"label"`
	LabelPlural   string            `json:"labelPlural"`
	KeyPrefix     string            `json:"keyPrefix"`
	Custom        bool              `json:"custom"`
	Queryable     bool              `json:"queryable"`
	Retrieveable  bool              `json:"retrieveable"`
	Replicateable bool              `json:"replicateable"`
	Createable    bool              `json:"createable"`
	Updateable    bool              `json:"updateable"`
	Deletable     bool              `json:"deletable"`
	URLs          map[string]string `json:"urls"`
}

// SObjectDescribe is an object's describe: its summary and its fields.
type SObjectDescribe struct {
	SObject
	// Fields are the object's fields in Salesforce's order.
	Fields []Field `json:"fields"`
}

// Field returns the field called name, or false.
func (d *SObjectDescribe) Field(name string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Field describes one field of an object.
type Field struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Type is the describe type: id, string, picklist, reference,
	// double, currency, percent, int, boolean, date, datetime, time,
	// address…
	Type       string `json:"type"`
	Length     int    `json:"length"`
	Nillable   bool   `json:"nillable"`
	Custom     bool   `json:"custom"`
	Createable bool   `json:"createable"`
	Updateable bool   `json:"updateable"`
	Filterable bool   `json:"filterable"`
	Sortable   bool   `json:"sortable"`
	// ReferenceTo lists the objects a reference field points to.
	ReferenceTo []string `json:"referenceTo"`
	// RelationshipName is the name of a reference field's relationship,
	// e.g. "Account" for AccountId.
	RelationshipName string `json:"relationshipName"`
	// CompoundFieldName is the compound field a component belongs to,
	// e.g. "BillingAddress" for BillingCity.
	CompoundFieldName string `json:"compoundFieldName"`
}

// Limit is an entry of the limits resource.
type Limit struct {
	Max       int64
	Remaining int64
	// Apps holds the per-connected-app breakdown some limits carry, by
	// app name; nil when there is none.
	Apps map[string]Limit
}

// UnmarshalJSON decodes {"Max": n, "Remaining": n, "<app>": {…}…}.
func (l *Limit) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	for k, v := range m {
		switch k {
		case "Max":
			if err := json.Unmarshal(v, &l.Max); err != nil {
				return fmt.Errorf("limit Max: %w", err)
			}
		case "Remaining":
			if err := json.Unmarshal(v, &l.Remaining); err != nil {
				return fmt.Errorf("limit Remaining: %w", err)
			}
		default:
			var sub Limit
			if json.Unmarshal(v, &sub) == nil {
				if l.Apps == nil {
					l.Apps = map[string]Limit{}
				}
				l.Apps[k] = sub
			}
		}
	}
	return nil
}

// Version is an API version the org serves.
type Version struct {
	// Label is the release, e.g. "Winter '25".
	Label string `json:"label"`
	// URL is the version's base path, e.g. /services/data/v62.0.
	URL string `json:"url"`
	// Version is the number, e.g. "62.0".
	Version string `json:"version"`
}
