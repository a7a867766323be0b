package fakeserver

import "cnx-agent/api"

// defaultProducts are the infant-formula products the fake ships; the first
// three are the ones in the courier's own samples.
func defaultProducts() []api.Product {
	return []api.Product{
		{Name: "爱他美奶粉1段", Barcode: "5000378998287"},
		{Name: "爱他美奶粉2段", Barcode: "5000378998317"},
		{Name: "爱他美奶粉3段", Barcode: "0721865545337"},
		{Name: "牛栏奶粉1段", Barcode: "5011027141015"},
		{Name: "牛栏奶粉2段", Barcode: "5011027141022"},
		{Name: "牛栏奶粉3段", Barcode: "5011027141039"},
		{Name: "美素佳儿奶粉1段", Barcode: "8712061002108"},
		{Name: "美素佳儿奶粉2段", Barcode: "8712061002115"},
	}
}

// defaultRoutes are the lines; each prints its waybill in its own format.
func defaultRoutes() []routeDef {
	return []routeDef{
		{Route: api.Route{Name: "邮政线", Code: "cnpost"}, Format: Format100x180},
		{Route: api.Route{Name: "圆通线", Code: "yto"}, Format: FormatA4},
		{Route: api.Route{Name: "EMS特快线", Code: "ems"}, Format: Format150x100},
		{Route: api.Route{Name: "顺丰线", Code: "sf"}, Format: Format4x6},
	}
}

type routeDef struct {
	api.Route
	Format Format
}

func leaves(names ...string) []api.City {
	cs := make([]api.City, len(names))
	for i, n := range names {
		cs[i] = api.City{Name: n}
	}
	return cs
}

// defaultCities is a province → city → district tree, with the names the
// courier's samples use (北京, 黄山市) and the excluded regions.
func defaultCities() []api.City {
	return []api.City{
		{Name: "北京", Contains: []api.City{{Name: "北京", Contains: leaves("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "延庆县")}}},
		{Name: "上海", Contains: []api.City{{Name: "上海", Contains: leaves("黄浦区", "徐汇区", "静安区", "浦东新区")}}},
		{Name: "天津", Contains: []api.City{{Name: "天津", Contains: leaves("和平区", "河西区", "南开区")}}},
		{Name: "安徽", Contains: []api.City{
			{Name: "安庆", Contains: leaves("迎江区", "岳西县")},
			{Name: "合肥", Contains: leaves("庐阳区", "瑶海区", "蜀山区", "包河区", "长丰县", "肥东县", "肥西县")},
			{Name: "黄山市", Contains: leaves("屯溪区", "黄山区", "歙县")},
		}},
		{Name: "广东", Contains: []api.City{
			{Name: "广州", Contains: leaves("天河区", "越秀区", "海珠区", "白云区")},
			{Name: "深圳", Contains: leaves("福田区", "南山区", "宝安区")},
			{Name: "东莞"},
		}},
		{Name: "江苏", Contains: []api.City{
			{Name: "南京", Contains: leaves("玄武区", "鼓楼区", "建邺区")},
			{Name: "苏州", Contains: leaves("姑苏区", "吴中区")},
		}},
		{Name: "浙江", Contains: []api.City{
			{Name: "杭州", Contains: leaves("西湖区", "上城区", "滨江区")},
			{Name: "宁波", Contains: leaves("海曙区", "鄞州区")},
		}},
		{Name: "福建", Contains: []api.City{
			{Name: "福州", Contains: leaves("鼓楼区", "台江区")},
			{Name: "厦门", Contains: leaves("思明区", "湖里区")},
		}},
		{Name: "四川", Contains: []api.City{{Name: "成都", Contains: leaves("锦江区", "武侯区")}}},
		{Name: "香港", Contains: []api.City{{Name: "香港", Contains: leaves("九龙", "新界")}}},
		{Name: "澳门", Contains: []api.City{{Name: "澳门"}}},
		{Name: "台湾", Contains: []api.City{{Name: "台北", Contains: leaves("大安区")}}},
	}
}

// tinCost is the price in GBP of a package by the number of tins it holds.
func tinCost(tins int) float64 {
	if tins == 6 {
		return 20.0
	}
	return 13.0
}
