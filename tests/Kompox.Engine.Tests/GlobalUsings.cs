global using Kompox.Kube;
global using Kompox.Store;
